"""The operator's command: ``python -m app.admin <command>``, with the app's own settings.

- ``reset-password EMAIL`` prints a one-time link to choose a new password (valid an hour).
  Accord sends no e-mail: hand the link to its owner yourself, by a channel you trust.
- ``disable EMAIL`` / ``enable EMAIL``: a disabled account cannot sign in or refresh, its
  sessions end at once and its devices get no more pushes; its data stays.
- ``delete EMAIL --yes`` erases the account exactly as ``DELETE /api/me`` does.
- ``stats`` prints counts only: accounts, dynamics by state, reminders waiting to be sent.

Nothing printed holds personal content. Exit status: 0 done, 1 refused (unknown account, a
missing ``--yes``), 2 a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts import repository as accounts
from app.accounts import service
from app.accounts.models import User
from app.core.config import Settings
from app.core.db import Database, utcnow, write_session
from app.core.errors import AppError
from app.dynamics.models import Dynamic, DynamicState
from app.notifications.models import Reminder
from app.parts import PARTS

LOCAL_URL = "http://127.0.0.1:8000"


class Refused(Exception):
    """Something the operator asked for that cannot be done: said, and exit status 1."""


async def _user(session: AsyncSession, email: str) -> User:
    user = await accounts.user_by_email(session, service.normalize_email(email))
    if user is None:
        raise Refused(f"no account with the email {email.strip()!r}")
    return user


def reset_link(settings: Settings, token: str) -> str:
    return f"{(settings.public_url or LOCAL_URL).rstrip('/')}/#/reset/{token}"


async def reset_password(db: Database, settings: Settings, email: str) -> None:
    async with write_session(db) as session:
        user = await _user(session, email)
        try:
            token, expires_at = await service.issue_password_reset(session, user)
        except AppError as error:
            raise Refused(error.detail) from None
    print(f"A one-time link for {user.email} to choose a new password:\n")
    print(f"  {reset_link(settings, token)}\n")
    print(
        f"It works once, until {expires_at:%Y-%m-%d %H:%M} UTC (an hour), and replaces any "
        "earlier link. Using it signs out every other device of this account."
    )
    print("Give it to its owner yourself: anyone holding it can take over the account.")
    if not settings.public_url:
        print(
            f"PUBLIC_URL is not set, so the link points at {LOCAL_URL}; set it to the address "
            "people open Accord at (as the app has it) to print a link that works for them.",
            file=sys.stderr,
        )


async def set_disabled(db: Database, email: str, *, disabled: bool) -> None:
    async with write_session(db) as session:
        user = await _user(session, email)
        if disabled:
            if user.disabled_at is not None:
                print(f"{user.email} was already disabled.")
                return
            await service.disable_account(session, user, PARTS)
        else:
            if user.disabled_at is None:
                print(f"{user.email} was not disabled.")
                return
            await service.enable_account(session, user)
    if disabled:
        print(f"Disabled {user.email}: signed out everywhere, and cannot sign in until enabled.")
    else:
        print(f"Enabled {user.email}: they can sign in again.")


async def delete(db: Database, settings: Settings, email: str, *, yes: bool) -> None:
    async with write_session(db) as session:
        user = await _user(session, email)
        if not yes:
            raise Refused(
                f"this would erase the account {user.email}: every dynamic they are in ends and "
                "their partner is told; their personal data is removed for good. "
                "Run again with --yes to do it."
            )
        # The same erasure as DELETE /api/me.
        await service.delete_account(session, settings, user, PARTS)
    print(f"Deleted the account {user.email}.")


async def stats(db: Database) -> None:
    now = utcnow()
    async with db.reader() as session:
        accounts_total, disabled = (
            await session.execute(
                select(func.count(), func.count(col(User.disabled_at))).select_from(User)
            )
        ).one()
        states = await session.execute(
            select(col(Dynamic.state), func.count()).group_by(col(Dynamic.state))
        )
        by_state = {state: count for state, count in states.all()}
        pending, due = (
            await session.execute(
                select(func.count(), func.count().filter(col(Reminder.due_at) <= now))
                .select_from(Reminder)
                .where(col(Reminder.state) == "pending")
            )
        ).one()
    print(f"accounts: {accounts_total} ({disabled} disabled)")
    print("dynamics: " + ", ".join(f"{s.value} {by_state.get(s.value, 0)}" for s in DynamicState))
    print(f"reminders pending: {pending} ({due} due now)")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.admin",
        description="Accord's operator's command. Uses the app's settings (DATABASE_URL, "
        "DATA_DIR, PUBLIC_URL).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    reset = commands.add_parser("reset-password", help="print a one-time link to a new password")
    reset.add_argument("email")
    for name, what in (("disable", "stop an account signing in"), ("enable", "undo disable")):
        commands.add_parser(name, help=what).add_argument("email")
    erase = commands.add_parser("delete", help="erase an account, as DELETE /api/me does")
    erase.add_argument("email")
    erase.add_argument("--yes", action="store_true", help="yes, erase it")
    commands.add_parser("stats", help="counts: accounts, dynamics by state, pending reminders")
    return parser


async def run(args: argparse.Namespace, settings: Settings) -> None:
    db = Database(settings)
    try:
        if args.command == "reset-password":
            await reset_password(db, settings, args.email)
        elif args.command in ("disable", "enable"):
            await set_disabled(db, args.email, disabled=args.command == "disable")
        elif args.command == "delete":
            await delete(db, settings, args.email, yes=args.yes)
        else:
            await stats(db)
    finally:
        await db.dispose()


async def command(args: argparse.Namespace, settings: Settings) -> int:
    """One command run to its end: its exit status."""
    try:
        await run(args, settings)
    except Refused as refused:
        print(f"accord admin: {refused}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return asyncio.run(command(args, Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
