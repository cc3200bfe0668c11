"""Backups of the database: ``python -m app.backup create | list | restore``.

- ``create [--dir DIR] [--keep N]`` writes one timestamped file into the backup directory
  (default ``$DATA_DIR/backups``, mode 0700; files 0600), then keeps the newest N backups there
  (default 14; 0 keeps all) and deletes older ones. SQLite is copied with SQLite's online backup
  API, which reads one consistent snapshot while the app goes on writing (WAL); PostgreSQL with
  ``pg_dump --format=custom``.
- ``list [--dir DIR]`` shows the backups, oldest first.
- ``restore FILE --yes`` replaces the whole database with the backup (SQLite: the backup API
  again, into the live file; PostgreSQL: ``pg_restore --clean --if-exists --no-owner`` in one
  transaction), having first saved what is there now as one more backup (``--no-copy`` skips
  that). Without ``--yes`` it only says what it would replace. A file that is not an Accord
  backup for this kind of database is refused before anything changes.

The database is the app's own (``Settings.from_env()``: ``DATABASE_URL`` or the SQLite file in
``DATA_DIR``). Nothing printed holds a password or a row's contents. The secrets in the data
directory (``secret_key``, ``vapid_private.pem``) are not in the database: keep them with the
backups (see docs/operations.md). Exit status: 0 done, 1 refused or failed, 2 a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from app.core.config import Settings

DEFAULT_KEEP = 14
NAME = re.compile(r"^accord-(sqlite|postgresql)-(\d{8}T\d{6}\.\d{6}Z)\.(db|dump)$")
EXTENSION = {"sqlite": "db", "postgresql": "dump"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
ROOT = Path(__file__).resolve().parent.parent


class Refused(Exception):
    """A backup or restore that cannot be done: said plainly, exit status 1."""


@dataclass(frozen=True)
class Backup:
    path: Path
    kind: str
    made_at: datetime

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def kind_of(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def backup_dir(settings: Settings, given: str | None) -> Path:
    return Path(given).resolve() if given else settings.data_dir / "backups"


def backups(directory: Path) -> list[Backup]:
    """The Accord backups in a directory, oldest first. Other files are never touched."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME.match(path.name)
        if match and path.is_file():
            made_at = datetime.strptime(match.group(2), "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            found.append(Backup(path, match.group(1), made_at))
    return sorted(found, key=lambda b: b.made_at)


def prune(directory: Path, keep: int) -> list[Backup]:
    """Delete all but the newest ``keep`` backups (0: keep them all); returns those deleted."""
    if keep <= 0:
        return []
    old = backups(directory)[:-keep]
    for backup in old:
        backup.path.unlink()
    return old


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"  # not reached


# --- SQLite -----------------------------------------------------------------------------------


def sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise Refused("DATABASE_URL does not name a SQLite file to back up")
    return Path(database).resolve()


def _open_sqlite(path: Path, mode: str) -> sqlite3.Connection:
    """``ro``, ``rw`` (never creates a file by mistake) or ``rwc``."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def _sqlite_create(settings: Settings, target: Path) -> None:
    source_path = sqlite_path(settings)
    if not source_path.is_file():
        raise Refused(f"there is no SQLite database at {source_path}")
    source = _open_sqlite(source_path, "rw")
    try:
        destination = sqlite3.connect(target, isolation_level=None)
        try:
            # One read transaction, all pages at once: a consistent snapshot, while the app's
            # writers go on (in WAL mode a reader does not block them).
            source.backup(destination)
            # A file that stands alone: no -wal or -shm beside it, readable with mode=ro.
            destination.execute("PRAGMA journal_mode = DELETE")
            if destination.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise Refused("the copy failed SQLite's integrity check; nothing was kept")
        finally:
            destination.close()
    finally:
        source.close()


def _check_sqlite_backup(file: Path) -> str:
    """The backup's schema revision, or Refused if it is not an Accord SQLite backup."""
    with file.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(PG_DUMP_MAGIC):
        raise Refused(
            f"{file.name} is a PostgreSQL backup, but this app's database is SQLite; "
            "restore it with DATABASE_URL pointing at PostgreSQL"
        )
    if head != SQLITE_MAGIC:
        raise Refused(f"{file.name} is not an Accord backup (not a SQLite database)")
    conn = _open_sqlite(file, "ro")
    try:
        if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise Refused(f"{file.name} is damaged (SQLite's integrity check failed)")
        revision = _sqlite_revision(conn)
    except sqlite3.DatabaseError as error:
        raise Refused(f"{file.name} cannot be read as a SQLite database ({error})") from None
    finally:
        conn.close()
    if revision is None:
        raise Refused(f"{file.name} is a SQLite database, but not an Accord backup")
    return revision


def _sqlite_restore(settings: Settings, file: Path) -> None:
    live_path = sqlite_path(settings)
    if not live_path.exists():
        # A new host: the database is created, readable by its owner only.
        live_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(live_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = _open_sqlite(file, "ro")
    try:
        live = _open_sqlite(live_path, "rw")
        try:
            # The backup API into the live file: one write transaction, so a process that has it
            # open sees the old database or the restored one, never half of each.
            source.backup(live)
            live.execute("PRAGMA journal_mode = WAL")
        finally:
            live.close()
    finally:
        source.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def libpq_env(database_url: str) -> dict[str, str]:
    """The SQLAlchemy URL as libpq's environment (PGHOST, PGPASSWORD, …), so that no password
    appears on a command line (where ``ps`` would show it) or in anything printed."""
    url = make_url(database_url)
    env: dict[str, str] = {}
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[name] = value
    query = {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}
    if query.get("host"):  # a Unix socket directory: ?host=/var/run/postgresql
        env["PGHOST"] = query["host"]
    sslmode = query.get("sslmode") or query.get("ssl")
    if sslmode in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"):
        env["PGSSLMODE"] = sslmode
    elif sslmode in ("true", "1"):
        env["PGSSLMODE"] = "require"
    return env


def describe_postgres(database_url: str) -> str:
    url = make_url(database_url)
    where = url.host or "the local socket"
    if url.port:
        where += f":{url.port}"
    who = f" as {url.username}" if url.username else ""
    return f"the PostgreSQL database {url.database!r} on {where}{who}"


def _tool(name: str) -> str:
    """pg_dump or pg_restore: from ``PG_BIN`` if set, else the PATH."""
    directory = os.environ.get("PG_BIN")
    found = str(Path(directory) / name) if directory else shutil.which(name)
    if not found or not Path(found).is_file():
        raise Refused(
            f"{name} was not found: install the PostgreSQL client tools (the same major version "
            "as the server, or newer), or set PG_BIN to their directory"
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - a fixed command line; the URL travels in env
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _tool_failed(name: str, result: subprocess.CompletedProcess[str]) -> Refused:
    # Their messages name hosts, users and objects, never passwords or row contents.
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()][-5:]
    return Refused(f"{name} failed (exit status {result.returncode}):\n  " + "\n  ".join(lines))


def _postgres_create(settings: Settings, target: Path) -> None:
    env = libpq_env(settings.database_url)
    result = _run(
        [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"],
        env,
    )
    if result.returncode != 0:
        raise _tool_failed("pg_dump", result)


def _check_postgres_backup(file: Path) -> str:
    with file.open("rb") as fh:
        head = fh.read(16)
    if head == SQLITE_MAGIC:
        raise Refused(
            f"{file.name} is a SQLite backup, but this app's database is PostgreSQL; "
            "restore it with DATABASE_URL pointing at a SQLite file"
        )
    if not head.startswith(PG_DUMP_MAGIC):
        raise Refused(f"{file.name} is not an Accord backup (not a pg_dump archive)")
    # The schema revision, read from the archive without touching any database.
    result = _run(
        [
            _tool("pg_restore"),
            "--data-only",
            "--table=alembic_version",
            "--file=-",
            str(file),
        ],
        {},
    )
    if result.returncode != 0:
        raise Refused(f"{file.name} cannot be read as a pg_dump archive")
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            revision = lines[i + 1].strip()
            if revision and revision != "\\.":
                return revision
    raise Refused(f"{file.name} is a pg_dump archive, but not an Accord backup")


def _postgres_restore(settings: Settings, file: Path) -> None:
    env = libpq_env(settings.database_url)
    database = env.get("PGDATABASE")
    if not database:
        raise Refused("DATABASE_URL names no database to restore into")
    result = _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={database}",
            str(file),
        ],
        env,
    )
    if result.returncode != 0:
        raise _tool_failed("pg_restore (nothing was changed: it runs in one transaction)", result)


# --- the commands -----------------------------------------------------------------------------


def describe(settings: Settings) -> str:
    if settings.is_sqlite:
        return f"the SQLite database {sqlite_path(settings)}"
    return describe_postgres(settings.database_url)


def create(settings: Settings, directory: Path, keep: int) -> tuple[Backup, list[Backup]]:
    kind = kind_of(settings)
    made_at = datetime.now(UTC)
    created = not directory.exists()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if created:
        directory.chmod(0o700)  # whatever the umask: backups hold everyone's data
    name = f"accord-{kind}-{made_at:%Y%m%dT%H%M%S.%f}Z.{EXTENSION[kind]}"
    target = directory / name
    partial = directory / f".{name}.partial"  # not a backup's name: never listed or pruned
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        if kind == "sqlite":
            _sqlite_create(settings, partial)
        else:
            _postgres_create(settings, partial)
        partial.chmod(0o600)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Backup(target, kind, made_at), prune(directory, keep)


def check_backup(settings: Settings, file: Path) -> str:
    """The backup's schema revision, once it is known to be one this database can take."""
    if not file.is_file():
        raise Refused(f"there is no file {file}")
    revision = _check_sqlite_backup(file) if settings.is_sqlite else _check_postgres_backup(file)
    known = known_revisions()
    if known is not None and revision not in known:
        raise Refused(
            f"{file.name} was made by a newer version of Accord (schema {revision} is unknown "
            "here): restore it with that version"
        )
    return revision


def known_revisions() -> set[str] | None:
    ini = ROOT / "alembic.ini"
    if not ini.is_file():
        return None
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(Config(str(ini)))
    return {revision.revision for revision in script.walk_revisions()}


def head_revision() -> str | None:
    ini = ROOT / "alembic.ini"
    if not ini.is_file():
        return None
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(ini))).get_current_head()


def restore(
    settings: Settings, file: Path, *, yes: bool, copy_to: Path | None
) -> tuple[str, Backup | None]:
    """Replace the database with the backup; first, unless ``copy_to`` is None, save what is
    there now as one more backup (a restore of the wrong file can then be undone)."""
    revision = check_backup(settings, file)
    target = describe(settings)
    if not yes:
        kept = f" (a copy of it is saved in {copy_to} first)" if copy_to else ""
        raise Refused(
            f"this would replace everything in {target}{kept} with the backup {file.name} "
            f"(schema {revision}). Stop the app first, then run again with --yes to do it."
        )
    copy = None
    if copy_to is not None and (not settings.is_sqlite or sqlite_path(settings).is_file()):
        try:
            copy, _ = create(settings, copy_to, keep=0)
        except Refused as refused:
            raise Refused(
                f"nothing was restored: the copy of the current database failed ({refused}); "
                "--no-copy restores without one"
            ) from None
    if settings.is_sqlite:
        _sqlite_restore(settings, file)
    else:
        _postgres_restore(settings, file)
    return revision, copy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.backup",
        description="Back up and restore Accord's database (DATABASE_URL or $DATA_DIR).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    make = commands.add_parser("create", help="back up the database now")
    make.add_argument("--dir", help="where backups go (default: $DATA_DIR/backups)")
    make.add_argument(
        "--keep",
        type=int,
        default=DEFAULT_KEEP,
        help=f"keep the newest N backups, delete older ones (default {DEFAULT_KEEP}; 0 keeps all)",
    )
    show = commands.add_parser("list", help="the backups, oldest first")
    show.add_argument("--dir", help="where backups are (default: $DATA_DIR/backups)")
    back = commands.add_parser("restore", help="replace the database with a backup")
    back.add_argument("file")
    back.add_argument("--yes", action="store_true", help="yes, replace the database")
    back.add_argument(
        "--dir", help="where the copy of the current database goes (default: $DATA_DIR/backups)"
    )
    back.add_argument(
        "--no-copy", action="store_true", help="do not save the current database first"
    )
    args = parser.parse_args(argv)
    if getattr(args, "keep", 0) < 0:
        parser.error("--keep must be 0 or more")

    os.umask(0o077)  # whatever this process creates is its owner's only
    settings = Settings.from_env()
    try:
        if args.command == "create":
            backup, removed = create(settings, backup_dir(settings, args.dir), args.keep)
            print(f"Backed up {describe(settings)} to {backup.path} ({_size(backup.size)}).")
            if removed:
                print(f"Removed {len(removed)} older backup(s), keeping the newest {args.keep}.")
        elif args.command == "list":
            directory = backup_dir(settings, args.dir)
            found = backups(directory)
            if not found:
                print(f"No backups in {directory}.")
            for backup in found:
                print(
                    f"{backup.path.name}  {backup.made_at:%Y-%m-%d %H:%M:%S} UTC  "
                    f"{_size(backup.size)}"
                )
        else:
            file = Path(args.file).resolve()
            copy_to = None if args.no_copy else backup_dir(settings, args.dir)
            revision, copy = restore(settings, file, yes=args.yes, copy_to=copy_to)
            if copy is not None:
                print(f"Saved what was there as {copy.path}.")
            print(f"Restored {describe(settings)} from {file.name}.")
            if revision != head_revision():
                print(
                    "The backup's schema is older than this version's: run "
                    "`alembic upgrade head` before starting the app."
                )
    except Refused as refused:
        print(f"accord backup: {refused}", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as error:
        # A locked or unreadable database, a full disk, a directory that cannot be written.
        print(f"accord backup: {args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
