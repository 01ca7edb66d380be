"""Synthetic calls for trying the reports: `helpline demo-data --calls N --months M`.

The call log it writes looks like the helpline's: more calls in autumn and on Monday mornings, gardening in
spring and summer, most callers living elsewhere and calling for a parent who lives in the park, a share
of calls after hours, unanswered or for services no association covers, and referrals that associations
follow up (or not) within a day. `calls` generates the rows in batches, `batches` inserts them in bulk
(COPY on PostgreSQL, executemany elsewhere). Every phone number is in the ranges ARCEP reserves for fiction.
"""

from __future__ import annotations

from reports.demo.batches import DemoBatch, insert_batch, next_ids, reset_sequences
from reports.demo.calls import DemoDirectory, DemoGenerator, demo_months

__all__ = [
    "DemoBatch",
    "DemoDirectory",
    "DemoGenerator",
    "demo_months",
    "insert_batch",
    "next_ids",
    "reset_sequences",
]
