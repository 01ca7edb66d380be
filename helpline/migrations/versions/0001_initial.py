"""initial schema: calls, events, directory

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24 03:25:25.307236
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import foundation.db

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "association",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_association")),
        sa.UniqueConstraint("name", name=op.f("uq_association_name")),
    )
    op.create_table(
        "commune",
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("park_member", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("insee", name=op.f("pk_commune")),
    )
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commune_postal_code"), ["postal_code"], unique=False)

    op.create_table(
        "service_category",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=60), nullable=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["service_category.code"],
            name=op.f("fk_service_category_parent_code_service_category"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_category")),
    )
    with op.batch_alter_table("service_category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_category_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "association_category",
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_association_category_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["service_category.code"],
            name=op.f("fk_association_category_category_code_service_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("association_id", "category_code", name=op.f("pk_association_category")),
    )
    op.create_table(
        "association_commune",
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_association_commune_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["commune.insee"],
            name=op.f("fk_association_commune_commune_insee_commune"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("association_id", "commune_insee", name=op.f("pk_association_commune")),
    )
    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("started_at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", foundation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("caller", sa.String(length=80), nullable=False),
        sa.Column("caller_country", sa.String(length=2), nullable=False),
        sa.Column("called", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_sequence", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("category_code", sa.String(length=60), nullable=True),
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("menu_path", sa.String(length=100), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_call_association_id_association"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["service_category.code"], name=op.f("fk_call_category_code_service_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_call_call_sid")),
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_category_code"), ["category_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_started_at"), ["started_at"], unique=False)

    op.create_table(
        "call_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_event_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_event")),
        sa.UniqueConstraint("call_id", "dedup_key", name=op.f("uq_call_event_call_id_dedup_key")),
        sa.UniqueConstraint("call_id", "seq", name=op.f("uq_call_event_call_id_seq")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("call_event")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_started_at"))
        batch_op.drop_index(batch_op.f("ix_call_outcome"))
        batch_op.drop_index(batch_op.f("ix_call_category_code"))
        batch_op.drop_index(batch_op.f("ix_call_association_id"))

    op.drop_table("call")
    op.drop_table("association_commune")
    op.drop_table("association_category")
    with op.batch_alter_table("service_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_category_parent_code"))

    op.drop_table("service_category")
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_postal_code"))

    op.drop_table("commune")
    op.drop_table("association")
