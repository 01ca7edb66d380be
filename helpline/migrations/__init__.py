"""Alembic migrations of the helpline's database."""
