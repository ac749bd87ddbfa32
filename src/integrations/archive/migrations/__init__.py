"""Alembic migrations of the archive's schema (run by `iagente db upgrade` and at start)."""
