"""The service worker as served: ``frontend/sw.js`` with the shell's file list and a version
in front of it.

The version is a hash of every file of the app, so any change to any of them makes the browser
install a new worker, which precaches the new shell; nobody has to remember to bump a number.
The list is every file under ``frontend/`` except the worker itself, the ``tools/`` that
build icons and what is fetched ``ON_DEMAND``, so a new screen module is precached without
anyone adding it by hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

_SKIP_DIRS = {"tools"}
_WORKER = "sw.js"
# Counted in the version but not precached: the worker caches these when first fetched.
# libsodium (about 190 kB compressed, more than the rest of the app) is needed at sign-in and
# in More, not to open the app, so a first visit does not download it (docs/e2ee.md). The QR
# code library draws an invite, which is made online; the one-time sealing of older words, the
# decrypted export, recovery with the kit, a reset link's new password and the opening of
# private limits (which needs libsodium anyway) need the network too. The modules are imported
# where they are used (``import()``), never statically by what opens offline.
ON_DEMAND = (
    "/vendor/libsodium/",
    "/vendor/qrcode-generator/",
    "/js/older-words.js",
    "/js/export-words.js",
    "/js/limits-words.js",
    "/js/screens/keys/recover.js",
    "/js/screens/reset.js",
)


@dataclass(frozen=True)
class Shell:
    version: str
    paths: tuple[str, ...]
    worker: bytes
    on_demand: tuple[str, ...] = ON_DEMAND


def _files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] in _SKIP_DIRS or path.name.startswith("."):
            continue
        if relative.as_posix() == _WORKER:
            continue
        found.append(path)
    return found


def build_shell(root: Path) -> Shell:
    digest = hashlib.sha256()
    paths = ["/"]
    files = _files(root)
    for path in files:
        relative = path.relative_to(root).as_posix()
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
        if not ("/" + relative).startswith(ON_DEMAND):
            paths.append("/" + relative)
    worker = (root / _WORKER).read_bytes()
    digest.update(worker)
    version = digest.hexdigest()[:16]
    head = (
        f"const VERSION = {json.dumps(version)};\nconst SHELL = {json.dumps(paths)};\n"
        f"const ON_DEMAND = {json.dumps(ON_DEMAND)};\n"
    )
    return Shell(version=version, paths=tuple(paths), worker=head.encode() + worker)


class ShellCache:
    """Builds the shell once, and again only when a file under ``frontend/`` changed (the
    newest modification time or the number of files moved), so editing a screen during
    development is picked up on the next reload without restarting the server."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp: tuple[int, int] | None = None
        self._shell: Shell | None = None

    def get(self) -> Shell:
        files = _files(self.root)
        stamp = (len(files), max((p.stat().st_mtime_ns for p in files), default=0))
        stamp = (stamp[0], max(stamp[1], (self.root / _WORKER).stat().st_mtime_ns))
        if self._shell is None or stamp != self._stamp:
            self._shell = build_shell(self.root)
            self._stamp = stamp
        return self._shell
