"""One error type, one JSON shape, one set of handlers.

Every error a client sees is ``{"detail": "...", "code": "..."}`` with the right status; a
validation error adds ``errors`` naming each field. Nothing a client sends reaches a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("accord.errors")


class AppError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
        # A 422 of a rule about fields names them, as a validation error does.
        self.errors = errors


def not_found(what: str = "resource") -> AppError:
    return AppError(404, "not_found", f"{what} not found")


def conflict(code: str, detail: str) -> AppError:
    return AppError(409, code, detail)


def forbidden(code: str, detail: str) -> AppError:
    return AppError(403, code, detail)


def unprocessable(code: str, detail: str) -> AppError:
    return AppError(422, code, detail)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: str
    code: str
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    304: "Not modified",
    400: "Bad request",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for this member",
    404: "Not found, or not yours",
    409: "Conflict with the current state",
    410: "Gone",
    412: "The resource changed since the given ETag",
    413: "Request body too large",
    422: "Invalid input; `errors` names the fields",
    428: "An If-Match header is required",
    429: "Too many requests; see Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses for a route, all with the shared error body."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS.get(s, "Error")} for s in statuses}


def error_response(
    status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail, "code": code, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _loc(loc: tuple[Any, ...]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        extra = {"errors": exc.errors} if exc.errors is not None else {}
        return error_response(exc.status, exc.code, exc.detail, headers=exc.headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
        where = ".".join(str(p) for p in first["loc"]) or "request"
        return error_response(422, "validation_error", f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's only 400: a body it could not parse as JSON at all (bytes that are not
            # UTF-8, a number of thousands of digits, nesting too deep). Bad input is a 422 here.
            return _unparsable_body()
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        # Outside /api only: the unit of work answers for /api itself (app.core.middleware).
        # The server logs the exception, which Starlette re-raises after this answer.
        return error_response(500, "internal_error", "something went wrong on our side")


def _field_error(error: Any) -> dict[str, Any]:
    loc = _loc(tuple(error.get("loc", ())))
    msg = str(error.get("msg", ""))
    if error["type"] == "json_invalid":
        # FastAPI puts the character offset where a field name would be ("body", 17).
        position = loc[1] if len(loc) > 1 else None
        loc = loc[:1]
        reason = (error.get("ctx") or {}).get("error")
        msg = f"invalid JSON ({reason} at character {position})" if reason else "invalid JSON"
    return {"loc": loc, "msg": msg, "type": error["type"]}


def _unparsable_body() -> JSONResponse:
    msg = "the body could not be read as JSON"
    return error_response(
        422,
        "validation_error",
        f"body: {msg}",
        errors=[{"loc": ["body"], "msg": msg, "type": "json_invalid"}],
    )
