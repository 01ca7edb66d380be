"""directory in HSDS shape: services, service areas, phones, schedules, closures, change history

Moves the data of the first schema: one service per (association, category), covering the association's
communes; the association's phone becomes its phone the IVR dials. Then drops association_category,
association_commune and association.phone.

Revision ID: 0003_directory
Revises: 0002_voice_journey
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import foundation.db

revision: str = "0003_directory"
down_revision: str | None = "0002_voice_journey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OWNER = "(association_id IS NULL) <> (service_id IS NULL)"

# Lightweight views of the tables, for moving data with portable SQL.
association = sa.table("association", sa.column("id", sa.Integer), sa.column("phone", sa.String))
association_category = sa.table(
    "association_category", sa.column("association_id", sa.Integer), sa.column("category_code", sa.String)
)
association_commune = sa.table(
    "association_commune", sa.column("association_id", sa.Integer), sa.column("commune_insee", sa.String)
)
service_category = sa.table("service_category", sa.column("code", sa.String), sa.column("label", sa.String))
service = sa.table(
    "service",
    sa.column("id", sa.Integer),
    sa.column("association_id", sa.Integer),
    sa.column("category_code", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("status", sa.String),
    sa.column("fees", sa.Text),
    sa.column("eligibility", sa.Text),
)
service_area = sa.table(
    "service_area", sa.column("service_id", sa.Integer), sa.column("commune_insee", sa.String)
)
phone = sa.table(
    "phone",
    sa.column("id", sa.Integer),
    sa.column("association_id", sa.Integer),
    sa.column("service_id", sa.Integer),
    sa.column("number", sa.String),
    sa.column("description", sa.String),
    sa.column("ivr", sa.Boolean),
)


def _owner_columns() -> list[sa.Column[int]]:
    return [
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
    ]


def _owner_constraints(table: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f(f"fk_{table}_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f(f"fk_{table}_service_id_service"), ondelete="CASCADE"
        ),
        sa.CheckConstraint(ONE_OWNER, name=op.f(f"ck_{table}_one_owner")),
    ]


def _owner_indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_service_id"), ["service_id"], unique=False)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("association", schema=None) as batch_op:
        for name, column_type in (
            ("description", sa.Text()),
            ("email", sa.String(length=200)),
            ("website", sa.String(length=300)),
            ("street_address", sa.String(length=200)),
            ("postal_code", sa.String(length=10)),
            ("city", sa.String(length=100)),
        ):
            batch_op.add_column(sa.Column(name, column_type, nullable=False, server_default=""))
    with op.batch_alter_table("service_category", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sap_codes", sa.JSON(), nullable=False, server_default="[]"))

    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fees", sa.Text(), nullable=False),
        sa.Column("eligibility", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_service_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["service_category.code"],
            name=op.f("fk_service_category_code_service_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
        sa.UniqueConstraint("association_id", "name", name=op.f("uq_service_association_id_name")),
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_category_code"), ["category_code"], unique=False)

    op.create_table(
        "service_area",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_insee"], ["commune.insee"], name=op.f("fk_service_area_commune_insee_commune")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_service_area_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "commune_insee", name=op.f("pk_service_area")),
    )
    with op.batch_alter_table("service_area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_area_commune_insee"), ["commune_insee"], unique=False)

    op.create_table(
        "phone",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owner_columns(),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("ivr", sa.Boolean(), nullable=False),
        *_owner_constraints("phone"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone")),
    )
    _owner_indexes("phone")

    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owner_columns(),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        *_owner_constraints("schedule"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_schedule_weekday")),
        sa.CheckConstraint("opens < closes", name=op.f("ck_schedule_opens_before_closes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule")),
    )
    _owner_indexes("schedule")

    op.create_table(
        "closure",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owner_columns(),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        *_owner_constraints("closure"),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_closure_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure")),
    )
    _owner_indexes("closure")

    op.create_table(
        "directory_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", foundation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=True),
        sa.Column("association_name", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_change")),
    )
    with op.batch_alter_table("directory_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_change_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_directory_change_at"), ["at"], unique=False)

    _move_data_up()

    op.drop_table("association_commune")
    op.drop_table("association_category")
    # Not in batch mode: on SQLite that copies the table, and dropping the old one with foreign keys on
    # would cascade to every row that references an association. SQLite >= 3.35 drops a column in place.
    op.drop_column("association", "phone")


def _move_data_up() -> None:
    """One service per (association, category) named after the category, covering the association's
    communes; the association's phone becomes the one the IVR dials."""
    op.execute(
        service.insert().from_select(
            ["association_id", "category_code", "name", "description", "status", "fees", "eligibility"],
            sa.select(
                association_category.c.association_id,
                association_category.c.category_code,
                service_category.c.label,
                sa.literal(""),
                sa.literal("active"),
                sa.literal(""),
                sa.literal(""),
            ).join(service_category, service_category.c.code == association_category.c.category_code),
        )
    )
    op.execute(
        service_area.insert().from_select(
            ["service_id", "commune_insee"],
            sa.select(service.c.id, association_commune.c.commune_insee).join(
                association_commune, association_commune.c.association_id == service.c.association_id
            ),
        )
    )
    op.execute(
        phone.insert().from_select(
            ["association_id", "service_id", "number", "description", "ivr"],
            sa.select(
                association.c.id,
                sa.null(),
                association.c.phone,
                sa.literal(""),
                sa.true(),
            ).where(association.c.phone != ""),
        )
    )


def downgrade() -> None:
    """Revert this revision: back to categories and communes per association, and one phone each."""
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=False, server_default=""))
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
    # The number the IVR dialled: the association's IVR phone, else its first phone.
    chosen = (
        sa.select(phone.c.number)
        .where(phone.c.association_id == association.c.id)
        .order_by(phone.c.ivr.desc(), phone.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(association.update().values(phone=sa.func.coalesce(chosen, "")))
    op.execute(
        association_category.insert().from_select(
            ["association_id", "category_code"],
            sa.select(service.c.association_id, service.c.category_code).distinct(),
        )
    )
    op.execute(
        association_commune.insert().from_select(
            ["association_id", "commune_insee"],
            sa.select(service.c.association_id, service_area.c.commune_insee)
            .join(service_area, service_area.c.service_id == service.c.id)
            .distinct(),
        )
    )
    op.drop_table("directory_change")
    op.drop_table("closure")
    op.drop_table("schedule")
    op.drop_table("phone")
    op.drop_table("service_area")
    op.drop_table("service")
    # In place, not in batch mode (see upgrade).
    op.drop_column("service_category", "sap_codes")
    for name in ("city", "postal_code", "street_address", "website", "email", "description"):
        op.drop_column("association", name)
