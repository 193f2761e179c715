"""Meridian's payment API: idempotent payments in PostgreSQL with a Redis fast path (APP-1)."""

__version__ = "1.0.0"
