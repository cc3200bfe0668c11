"""The full export of a user's data (``GET /api/me/export``): each part contributes its own
sections (``Part.export``), in the order the parts are listed, and the export's schema is
made of the sections' types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, create_model
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CallerDep
from app.core.db import utcnow
from app.core.declaration import Parts
from app.core.deps import SessionDep
from app.core.errors import responses

FORMAT = "accord-export/1"

DESCRIPTION = """Everything Accord holds about you: your profile and devices, your dynamics
(ended ones too) with their protocols, your check-ins and answers, your reviews, your limits (and
the matches revealed to both of you) and your inbox. Your partner's private limit answers are not
yours and are not in it, nor are their review answers before you both submitted."""


def export_model(parts: Parts) -> type[BaseModel]:
    sections: dict[str, Any] = {
        "format": (Literal["accord-export/1"], ...),
        "exported_at": (datetime, ...),
    }
    for part in parts:
        if part.export is not None:
            for name, kind in part.export.sections.items():
                if name in sections:
                    raise ValueError(f"two parts export a section named {name!r}")
                sections[name] = (kind, ...)
    model: type[BaseModel] = create_model("AccountExport", __doc__=DESCRIPTION, **sections)
    return model


async def export_user(session: AsyncSession, user_id: uuid.UUID, parts: Parts) -> dict[str, Any]:
    exported: dict[str, Any] = {"format": FORMAT, "exported_at": utcnow().isoformat()}
    for part in parts:
        if part.export is not None:
            exported.update(await part.export.collect(session, user_id))
    return exported


def export_router(parts: Parts) -> APIRouter:
    """The export's route, with a schema made of every part's sections."""
    router = APIRouter(prefix="/api/me", tags=["me"])

    @router.get("/export", response_model=export_model(parts), responses=responses(401))
    async def export_me(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
        """Everything Accord holds about you and your dynamics, as JSON (ended dynamics too)."""
        return await export_user(session, caller.id, parts)

    return router
