"""Tests of the SQL archive: schema migrations and the store, on SQLite and PostgreSQL."""
