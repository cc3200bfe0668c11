"""The outsider and the stranger: every route with a path parameter, walked from the schema.

Eve is signed in but in none of Alice and Bob's dynamics. Every route of ``app.openapi()``
that takes a path parameter is called as Eve with real ids of Alice and Bob's data: none may
answer 2xx, and a route reaching a dynamic's data answers 404 exactly as for an id that does
not exist. Then every ``/api`` route is called with no credentials, with a forged token and
with the token of an ended session: all 401, except the routes that sign people in.

The routes come from the schema, so a route added later is walked without editing this file.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers import Member, error_code

PUBLIC = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/reset"),
    # A forgotten password, recovered with the kit: its proof stands in for credentials.
    ("POST", "/api/keys/recovery-wrap"),
    ("POST", "/api/keys/recover"),
}
# What exists today: the walks must at least reach these (so they cannot silently check nothing).
KNOWN_WITH_PARAMS = {
    ("GET", "/api/invites/{code}"),
    ("DELETE", "/api/invites/{code}"),
    ("POST", "/api/invites/{code}/accept"),
    ("GET", "/api/dynamics/{dynamic_id}"),
    ("PATCH", "/api/dynamics/{dynamic_id}/membership"),
    ("POST", "/api/dynamics/{dynamic_id}/red"),
    ("POST", "/api/dynamics/{dynamic_id}/yellow"),
    ("POST", "/api/dynamics/{dynamic_id}/resume"),
    ("POST", "/api/dynamics/{dynamic_id}/leave"),
}
KNOWN_SIGNED_IN = KNOWN_WITH_PARAMS | {
    ("GET", "/api/me"),
    ("PATCH", "/api/me"),
    ("DELETE", "/api/me"),
    ("GET", "/api/me/export"),
    ("GET", "/api/me/sessions"),
    ("POST", "/api/invites"),
    ("GET", "/api/dynamics"),
    ("GET", "/api/notifications"),
    ("POST", "/api/notifications/read"),
    ("GET", "/api/waiting"),
}
METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"\{(\w+)\}")


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    schema = app.openapi()
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def is_stream(operation: dict[str, Any]) -> bool:
    """Server-Sent Events (``GET /api/events``): 200 is an endless stream."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    return "text/event-stream" in content


# --- plausible request bodies, made from the schema ---------------------------------------------


def example(
    schema: dict[str, Any],
    components: dict[str, Any],
    *,
    someone: str,
    name: str = "",
    optional: set[str] | None = None,
) -> Any:
    """A value meeting a JSON schema's basic constraints, to get past validation.

    An object gets its required properties, plus those named in ``optional`` (at the top level;
    nested objects get all of theirs); uuid fields get ``someone``, a member's id, which is what
    fields such as ``performer_ids`` expect; a field named like a time gets "08:00"."""

    def nested(sub: dict[str, Any], sub_name: str = name) -> Any:
        return example(sub, components, someone=someone, name=sub_name, optional=set())

    if "$ref" in schema:
        ref = components[schema["$ref"].rsplit("/", 1)[-1]]
        return example(ref, components, someone=someone, name=name, optional=optional)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"]
            return nested(options[0]) if options else None
    if "const" in schema:
        return schema["const"]
    if "examples" in schema:  # a string of a pattern says what meets it
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        wanted = set(schema.get("required", [])) | (
            set(properties) if optional is None else optional
        )
        return {key: nested(sub, key) for key, sub in properties.items() if key in wanted}
    if kind == "array":
        return [nested(schema.get("items", {})) for _ in range(max(schema.get("minItems", 0), 1))]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return someone
        if fmt == "date-time":
            return datetime.now(UTC).isoformat()
        if fmt == "date":
            return (date.today() + timedelta(days=7)).isoformat()
        if fmt == "email":
            return "someone@example.org"
        if "time" in name:
            return "08:00"
        return "x" * max(int(schema.get("minLength", 1)), 1)
    return None


def bodies_for(operation: dict[str, Any], components: dict[str, Any], someone: str) -> list[Any]:
    """Bodies to try: none for a route without one; else the required fields alone, with each
    optional field in turn, with all of them; then {} and a note."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return [None]
    schema = content["application/json"]["schema"]
    resolved = schema
    while "$ref" in resolved:
        resolved = components[resolved["$ref"].rsplit("/", 1)[-1]]
    names = sorted(resolved.get("properties", {}))
    tried = [example(schema, components, someone=someone, optional=set())]
    tried += [example(schema, components, someone=someone, optional={n}) for n in names]
    tried += [example(schema, components, someone=someone), {}, {"note": "x"}]
    return [b for i, b in enumerate(tried) if b not in tried[:i]]


# --- filling path parameters with real ids ------------------------------------------------------


def find_ids(data: Any, name: str) -> list[str]:
    """Ids for parameter ``name`` (``protocol_id``, ``checkin_id``…) in some data:

    values of a field with that name, and the ``id`` of objects listed under the plural."""
    stem = name.removesuffix("_id")
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == name and isinstance(value, str):
                    found.append(value)
                if key in (f"{stem}s", f"{stem}es") and isinstance(value, list):
                    found.extend(str(v["id"]) for v in value if isinstance(v, dict) and "id" in v)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def find_invites(data: Any) -> list[dict[str, Any]]:
    stack, found = [data], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "code" in item and "state" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


async def accepted_code(client: httpx.AsyncClient, alice: Member, dynamic_id: str) -> str:
    """The code Bob accepted to pair with Alice (from Alice's export: nothing else shows it)."""
    export = await client.get("/api/me/export", headers=alice.headers)
    assert export.status_code == 200, export.text
    codes = [
        i["code"]
        for i in find_invites(export.json())
        if i.get("state") == "accepted" and i.get("dynamic_id") == dynamic_id
    ]
    assert codes, export.text
    return str(codes[0])


async def seed(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> dict[str, list[str]]:
    """Create one of everything Alice can create, from the schema.

    A collection is a path with both GET and POST (``/api/dynamics/{dynamic_id}/protocols``,
    ``/api/protocols/{protocol_id}/completions``); Alice posts schema examples to each whose
    parameters she can fill, until one is accepted, in rounds so that what one collection
    creates opens the next. Returns the created ids by the parameter that would carry them."""
    schema = app.openapi()
    components = schema.get("components", {}).get("schemas", {})
    created: dict[str, list[str]] = {"dynamic_id": [dynamic_id]}
    done: set[str] = set()
    for _round in range(3):
        for template, item in schema["paths"].items():
            params = PARAM.findall(template)
            if (
                template in done
                or not params
                or not {"get", "post"} <= set(item)
                or not all(p in created for p in params)
            ):
                continue
            done.add(template)
            path = PARAM.sub(lambda m: created[m.group(1)][0], template)
            noun = template.rstrip("/").rsplit("/", 1)[-1]
            singular = noun.removesuffix("es") if noun.endswith("ses") else noun.rstrip("s")
            for body in bodies_for(item["post"], components, alice.id):
                answer = await client.post(path, json=body, headers=alice.headers)
                if 200 <= answer.status_code < 300 and "id" in answer.json():
                    created.setdefault(f"{singular}_id", []).append(str(answer.json()["id"]))
                    break
    return created


def fill(path: str, values: dict[str, str], created: dict[str, list[str]], export: Any) -> str:
    """The path with each parameter filled: given values, else a real id, else a random uuid."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        real = created.get(name) or find_ids(export, name)
        return real[0] if real else str(uuid.uuid4())

    return PARAM.sub(value, path)


# --- the outsider -------------------------------------------------------------------------------


async def test_outsider_reaches_nothing_of_theirs(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    code = await accepted_code(client, alice, dynamic_id)
    opened = await client.post("/api/invites", json={}, headers=alice.headers)
    assert opened.status_code == 201
    open_code = opened.json()["code"]
    created = await seed(client, app, alice, dynamic_id)
    yellow = f"/api/dynamics/{dynamic_id}/yellow"
    assert (
        await client.post(yellow, json={"note": "talk"}, headers=bob.headers)
    ).status_code == 200
    export = (await client.get("/api/me/export", headers=alice.headers)).json()
    before = await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)

    components = app.openapi().get("components", {}).get("schemas", {})
    # An If-Match too, so that a route needing one gets past that check to the lookup.
    as_eve = {**eve.headers, "If-Match": '"0"'}
    visited: set[tuple[str, str]] = set()
    for method, template, operation in operations(app):
        params = PARAM.findall(template)
        if not params:
            continue
        values = {"dynamic_id": dynamic_id, "code": open_code if method == "DELETE" else code}
        path = fill(template, values, created, export)
        # The same call for ids that exist nowhere: Eve must not tell the two apart.
        nowhere = fill(template, {"code": "ZZZZZZZZ"}, {}, {})
        invite_route = params == ["code"]
        saw_not_found = False
        for body in bodies_for(operation, components, alice.id):
            kwargs: dict[str, Any] = {} if body is None else {"json": body}
            answer = await client.request(method, path, headers=as_eve, **kwargs)
            label = f"{method} {path} {body!r}: {answer.status_code} {answer.text}"
            assert not 200 <= answer.status_code < 300, label
            error_code(answer)
            if invite_route:  # an invite code is a capability: its states are documented
                continue
            if answer.status_code == 422:
                # Refused before any lookup: the body is wrong, whichever dynamic it names.
                fields = [e["loc"][0] for e in answer.json().get("errors", [])]
                assert fields and set(fields) == {"body"}, label
                continue
            assert answer.status_code == 404, label
            saw_not_found = True
            control = await client.request(method, nowhere, headers=as_eve, **kwargs)
            assert control.status_code == 404, control.text
            assert error_code(control) == error_code(answer), label
            assert control.json()["detail"] == answer.json()["detail"], label
        assert invite_route or saw_not_found, f"{method} {template}: no body got past validation"
        visited.add((method, template))

    assert visited >= KNOWN_WITH_PARAMS, KNOWN_WITH_PARAMS - visited
    # And nothing changed on their side.
    after = await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)
    assert after.json() == before.json()
    still_open = await client.get(f"/api/invites/{open_code}", headers=alice.headers)
    assert still_open.json()["state"] == "open"


async def test_outsider_lists_show_nothing_of_theirs(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    """Every GET without a path parameter, as Eve: no id, code or note of Alice and Bob's."""
    code = await accepted_code(client, alice, dynamic_id)
    created = await seed(client, app, alice, dynamic_id)
    note = f"note-{uuid.uuid4().hex}"
    red = f"/api/dynamics/{dynamic_id}/red"
    assert (await client.post(red, json={"note": note}, headers=bob.headers)).status_code == 200
    theirs = {alice.id, bob.id, code, alice.email, bob.email, note}
    theirs |= {i for ids in created.values() for i in ids}
    visited = set()
    for method, template, operation in operations(app):
        if method != "GET" or PARAM.search(template) or not template.startswith("/api/"):
            continue
        if is_stream(operation):
            # An endless answer; that Eve's own stream says nothing of Alice and Bob's changes
            # is tested on real processes in tests/test_live.py.
            continue
        answer = await client.get(template, headers=eve.headers)
        # 204: nothing there for Eve yet (her keys before key setup).
        assert answer.status_code in (200, 204, 422), f"{template}: {answer.text}"
        leaked = {s for s in theirs if s.lower() in answer.text.lower()}
        assert not leaked, f"{template} shows {leaked}"
        visited.add(template)
    assert visited >= {"/api/me", "/api/dynamics", "/api/notifications", "/api/me/export"}


# --- the stranger: no credentials, forged or ended ones -----------------------------------------


async def test_every_api_route_needs_a_live_session(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, eve: Member, dynamic_id: str
) -> None:
    components = app.openapi().get("components", {}).get("schemas", {})
    logged_out = await client.post("/api/auth/logout", headers=eve.headers)
    assert logged_out.status_code == 204
    credentials = {
        "none": {},
        "forged": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},
        "ended session": eve.headers,
        "other scheme": {"Authorization": f"Basic {alice.access_token}"},
    }
    visited: set[tuple[str, str]] = set()
    for method, template, operation in operations(app):
        if not template.startswith("/api/") or (method, template) in PUBLIC:
            continue
        path = fill(template, {"dynamic_id": dynamic_id}, {}, {})
        body = bodies_for(operation, components, alice.id)[0]
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        for label, headers in credentials.items():
            answer = await client.request(method, path, headers=headers, **kwargs)
            where = f"{method} {template} ({label})"
            assert answer.status_code == 401, f"{where}: {answer.status_code} {answer.text}"
            assert error_code(answer) == "unauthorized", where
            assert answer.headers.get("www-authenticate") == "Bearer", where
        visited.add((method, template))
    assert visited >= KNOWN_SIGNED_IN, KNOWN_SIGNED_IN - visited
    # Alice's own token still works: the walk refused the stranger, not everyone.
    assert (
        await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)
    ).status_code == 200
