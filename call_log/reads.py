"""Who read a call's record, and when: console pages and exports leave a row in `record_read`.

Cheap by design: one INSERT ... SELECT per read (or per batch of an export), which skips the calls the
same user already read within `READ_AGAIN_AFTER`, so a page reopened or refreshed does not flood the trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, exists, insert, select
from sqlalchemy.orm import Session

from call_log.codes import ReadVia
from call_log.models import Call, RecordRead
from foundation.db import UTCDateTime

READ_AGAIN_AFTER = timedelta(minutes=10)


def record_reads(session: Session, call_ids: Sequence[int], *, by: str, via: ReadVia, now: datetime) -> None:
    """Record that `by` read the calls `call_ids` at `now`, except those they read within the window."""
    if not call_ids:
        return
    lately = exists().where(
        RecordRead.call_id == Call.id, RecordRead.by == by, RecordRead.at > now - READ_AGAIN_AFTER
    )
    rows = select(
        Call.id,
        bindparam("read_at", now, type_=UTCDateTime()),
        bindparam("read_by", by[:80], type_=String()),
        bindparam("read_via", str(via), type_=String()),
    ).where(Call.id.in_(call_ids), ~lately)
    session.execute(insert(RecordRead).from_select(["call_id", "at", "by", "via"], rows))


def reads_of(session: Session, call_id: int) -> list[tuple[datetime, str, str]]:
    """The reads of a call's record, newest first: (when, who, how)."""
    query = (
        select(RecordRead.at, RecordRead.by, RecordRead.via)
        .where(RecordRead.call_id == call_id)
        .order_by(RecordRead.at.desc(), RecordRead.id.desc())
    )
    return [(at, by, via) for at, by, via in session.execute(query)]
