"""Reading stored rows back through the app's own engine."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select


async def count(app: FastAPI, model: Any, *where: Any) -> int:
    """How many rows of ``model`` (a table class) match ``where``."""
    async with app.state.db.engine.connect() as conn:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await conn.execute(stmt)).scalar_one())
