from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(session: SessionDep) -> Health | JSONResponse:
    """Liveness and a round trip to the database."""
    try:
        await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "unreachable",
                "detail": "the database did not answer",
                "code": "database_unavailable",
            },
            status_code=503,
        )
    return Health(status="ok", database="ok")
