"""The service worker as the server sends it: the shell list and a version that changes with
any file of the app (app/core/frontend.py)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx

from app.core.frontend import ON_DEMAND, ShellCache, build_shell


def make_app(root: Path) -> None:
    (root / "js" / "screens").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "index.html").write_text("<!doctype html>")
    (root / "js" / "app.js").write_text("export {};")
    (root / "js" / "screens" / "home.js").write_text("export {};")
    (root / "tools" / "make_icons.py").write_text("print()")
    (root / ".hidden").write_text("x")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {});")


def constants(worker: bytes) -> tuple[str, list[str]]:
    text = worker.decode()
    version = re.search(r'^const VERSION = "([0-9a-f]{16})";$', text, re.MULTILINE)
    shell = re.search(r"^const SHELL = (\[.*\]);$", text, re.MULTILINE)
    assert version and shell
    return version.group(1), json.loads(shell.group(1))


def test_the_shell_lists_every_app_file_but_tools_and_the_worker(tmp_path: Path) -> None:
    make_app(tmp_path)
    shell = build_shell(tmp_path)
    version, paths = constants(shell.worker)
    assert shell.worker.decode().endswith("self.addEventListener('fetch', () => {});")
    assert version == shell.version
    assert paths == ["/", "/index.html", "/js/app.js", "/js/screens/home.js"]


def test_any_change_makes_a_new_version(tmp_path: Path) -> None:
    make_app(tmp_path)
    cache = ShellCache(tmp_path)
    first = cache.get()
    assert cache.get() is first  # nothing changed: not rebuilt
    home = tmp_path / "js" / "screens" / "home.js"
    home.write_text("export const changed = 1;")
    os.utime(home, ns=(home.stat().st_atime_ns, home.stat().st_mtime_ns + 10**9))
    second = cache.get()
    assert second.version != first.version
    (tmp_path / "js" / "new.js").write_text("export {};")
    third = cache.get()
    assert third.version != second.version and "/js/new.js" in third.paths
    # The worker's own code counts too.
    worker = tmp_path / "sw.js"
    worker.write_text("self.addEventListener('fetch', () => { /* v2 */ });")
    os.utime(worker, ns=(worker.stat().st_atime_ns, worker.stat().st_mtime_ns + 2 * 10**9))
    assert cache.get().version != third.version


async def test_the_app_serves_the_worker_uncached(client: httpx.AsyncClient) -> None:
    answer = await client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    _version, paths = constants(answer.content)
    assert "import { flush, items, SYNC_TAG }" in answer.text
    for path in paths:
        assert (await client.get(path)).status_code == 200, path


async def test_app_files_are_compressed_and_api_answers_are_not(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/js/app.js", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    api = await client.post(
        "/api/auth/login",
        json={"email": "nobody@example.org", "password": "x" * 600},
        headers={"Accept-Encoding": "gzip"},
    )
    assert api.status_code in (401, 422)
    assert "content-encoding" not in api.headers


def test_libsodium_is_cached_on_first_use_not_precached(tmp_path: Path) -> None:
    make_app(tmp_path)
    (tmp_path / "vendor" / "libsodium").mkdir(parents=True)
    library = tmp_path / "vendor" / "libsodium" / "libsodium-sumo.mjs"
    library.write_text("export default 1;")
    first = build_shell(tmp_path)
    _version, paths = constants(first.worker)
    assert "/vendor/libsodium/libsodium-sumo.mjs" not in paths
    assert f"const ON_DEMAND = {json.dumps(ON_DEMAND)};" in first.worker.decode()
    assert "/vendor/libsodium/" in ON_DEMAND
    # Still part of the version: a new libsodium makes a new worker, which fetches it again.
    library.write_text("export default 2;")
    assert build_shell(tmp_path).version != first.version


# A static import: `import … from "x"` or `import "x"` (statements as Biome formats them).
STATIC_IMPORT = re.compile(r"^import\s(?:[^\";]*?\sfrom\s)?\"([^\"]+)\";", re.MULTILINE)


def test_nothing_that_opens_offline_imports_what_is_fetched_on_demand() -> None:
    """What is fetched on first use (ON_DEMAND) is never in a first visit's cache, so a module
    that opens offline must import it with ``import()`` where it is used: a static import of
    it would stop the app from opening offline at all."""
    frontend = Path(__file__).resolve().parent.parent / "frontend"
    static: list[tuple[str, str]] = []
    for path in build_shell(frontend).paths:
        if not path.endswith((".js", ".mjs")):
            continue
        module = frontend / path.lstrip("/")
        for target in STATIC_IMPORT.findall(module.read_text()):
            found = module.parent.joinpath(target).resolve().relative_to(frontend)
            static.append((path, "/" + found.as_posix()))
    assert ("/js/keyring.js", "/js/crypto.js") in static  # the pattern finds what is there
    assert [(p, t) for p, t in static if t.startswith(ON_DEMAND)] == []
