"""Storage: explicit SQL (SQLAlchemy Core) on SQLite or PostgreSQL, one schema, Alembic migrations."""

from .database import Database, Scope

__all__ = ["Database", "Scope"]
