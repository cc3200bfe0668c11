"""Every table, as the parts declare them, so that metadata (and alembic) sees the whole schema."""

from sqlmodel import SQLModel

from app.parts import PARTS

TABLES: tuple[type[SQLModel], ...] = tuple(model for part in PARTS for model in part.models)
