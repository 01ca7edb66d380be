"""What the scheduled jobs share: the name a process claims a run under."""

from __future__ import annotations

import os
import socket
import uuid


def instance_name() -> str:
    """Who claims runs from this process: host, process id and a random tag (two schedulers, two names)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
