"""The interactive API reference at ``/docs`` (Swagger UI), served only when ``API_DOCS=1``.

Off by default: it is a large third-party script running on the app's own origin, where the web
app keeps its tokens (IndexedDB), so a production server offers the schema (``/openapi.json``)
and no page to explore it. When on (``make run`` turns it on for local development), every file
comes from this server: Swagger UI from the pinned ``fastapi-offline`` package, which vendors
swagger-ui-dist, started by a script of ours rather than an inline one, so the page runs under
the web app's own CSP, which allows nothing but 'self'. ReDoc (``/redoc``) stays off: it adds
``<style>`` elements as it runs, which that CSP refuses.
"""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

# swagger-ui-bundle.js, swagger-ui.css and favicon.png, as the package ships them.
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs/assets"

_START = """\
// Starts Swagger UI on this server's schema. A file rather than an inline script, which the
// page's Content-Security-Policy would refuse.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // never send the schema to a validator elsewhere
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def _page(title: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} API</title>
<link rel="icon" href="{ASSETS_URL}/favicon.png">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its files (before the web app's mount at ``/`` is added)."""
    page = _page(app.title)

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/docs/start.js", include_in_schema=False)
    async def api_docs_start() -> Response:
        return Response(_START, media_type="text/javascript")

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")
