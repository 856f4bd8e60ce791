"""Alembic migrations of the ecocast store (run by :func:`forecasting.storage.migrate.upgrade`)."""
