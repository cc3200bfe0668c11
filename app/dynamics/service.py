"""Pairing and the life of a dynamic: invite, accept, red, yellow, seen, resume, leave.

The safety rules live here:
- **red** by either member pauses the dynamic at once; each member's red is their own, and
  only the member who called it can lift it (the dynamic stays paused while any red stands);
- **yellow** ("we need to talk") pauses nothing; its member lifts it with resume;
- **seen** ("I see you") is the partner's answer to a standing red or yellow;
- **leave** by either member ends the dynamic at once; an ended dynamic is read-only for both
  and stays readable and exportable.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.accounts.repository import lock_user
from app.core.config import Settings
from app.core.db import utcnow
from app.core.declaration import WordsPrivate
from app.core.envelopes import Envelope, check_words, to_column
from app.core.errors import AppError, conflict, forbidden, not_found
from app.core.views import Computed, ViewCache
from app.dynamics import repository
from app.dynamics.models import (
    DYNAMIC,
    Dynamic,
    DynamicPause,
    DynamicState,
    Invite,
    Membership,
    Role,
)
from app.dynamics.schemas import DynamicPage, DynamicPublic, MemberPublic, MembershipUpdate
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.sync import record as sync

# No 0/O, 1/I/L: a code read aloud or copied by hand cannot be mistaken.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
FORMER_MEMBER = "Former member"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str | None:
    """Accept what people type: lower case, spaces or dashes; refuse anything else."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def pair_key(a: uuid.UUID, b: uuid.UUID) -> str:
    low, high = sorted((a.hex, b.hex))
    return f"{low}:{high}"


def invite_state(invite: Invite) -> str:
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= utcnow():
        return "expired"
    return "open"


def ensure_open(dynamic: Dynamic) -> None:
    if dynamic.state == DynamicState.ended:
        raise conflict("dynamic_ended", "this dynamic has ended; it is read-only")


def ensure_active(dynamic: Dynamic) -> None:
    """For actions that must not happen while a red stands (used by protocols, completions)."""
    ensure_open(dynamic)
    if dynamic.state == DynamicState.paused:
        raise conflict("dynamic_paused", "a red is standing; this waits until it is lifted")


# --- invites ------------------------------------------------------------------------------------


async def create_invite(session: AsyncSession, settings: Settings, user: User) -> Invite:
    # Lock the inviter's row so two concurrent creations cannot both pass the count.
    await lock_user(session, user.id)
    now = utcnow()
    open_count = (
        await session.execute(
            select(func.count()).where(
                col(Invite.inviter_id) == user.id,
                col(Invite.accepted_at).is_(None),
                col(Invite.revoked_at).is_(None),
                col(Invite.expires_at) > now,
            )
        )
    ).scalar_one()
    if open_count >= settings.max_open_invites:
        raise conflict(
            "too_many_invites",
            f"you have {settings.max_open_invites} open invites; revoke one or let it expire",
        )
    for _ in range(5):
        code = new_code()
        taken = await session.execute(select(Invite.id).where(col(Invite.code) == code))
        if taken.first() is None:
            break
    else:  # pragma: no cover - 31^8 codes make five collisions in a row practically impossible
        raise AppError(503, "try_again", "could not allocate an invite code; retry")
    invite = Invite(
        code=code,
        inviter_id=user.id,
        expires_at=now + timedelta(hours=settings.invite_hours),
    )
    session.add(invite)
    await session.flush()
    return invite


async def _invite_by_code(session: AsyncSession, code: str, *, for_update: bool = False) -> Invite:
    normalized = normalize_code(code)
    if normalized is None:
        raise not_found("invite")
    stmt = select(Invite).where(col(Invite.code) == normalized)
    if for_update:
        # On PostgreSQL, waits for a concurrent accept or revoke of the same invite to finish and
        # then reads what it left, so each sees the other's outcome instead of overwriting it.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    invite = (await session.execute(stmt)).scalar_one_or_none()
    if invite is None:
        raise not_found("invite")
    return invite


def _gone(state: str) -> AppError:
    return AppError(410, f"invite_{state}", f"this invite is {state}; ask for a new one")


async def view_invite(session: AsyncSession, code: str, user: User) -> tuple[Invite, User]:
    """The join screen's question, "Join X?". Only the inviter sees a spent invite."""
    invite = await _invite_by_code(session, code)
    state = invite_state(invite)
    if state != "open" and invite.inviter_id != user.id:
        raise _gone(state)
    inviter = await session.get(User, invite.inviter_id)
    if inviter is None:
        raise not_found("invite")
    return invite, inviter


async def revoke_invite(session: AsyncSession, code: str, user: User) -> None:
    invite = await _invite_by_code(session, code, for_update=True)
    if invite.inviter_id != user.id:
        raise not_found("invite")
    state = invite_state(invite)
    if state == "accepted":
        raise conflict("invite_accepted", "this invite was already accepted")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        session.add(invite)


async def accept_invite(session: AsyncSession, code: str, user: User) -> Dynamic:
    invite = await _invite_by_code(session, code, for_update=True)
    if invite.inviter_id == user.id:
        raise conflict(
            "own_invite", "you cannot accept your own invite; share it with your partner"
        )
    state = invite_state(invite)
    if state != "open":
        raise _gone(state)
    key = pair_key(invite.inviter_id, user.id)
    if await repository.open_dynamic_between(session, key) is not None:
        raise conflict("already_paired", "you already have a dynamic with this partner")
    now = utcnow()
    # Claim the invite with a conditional update: of two people racing for one code, exactly
    # one changes the row, on any database.
    claimed = await session.execute(
        update(Invite)
        .where(
            col(Invite.id) == invite.id,
            col(Invite.accepted_at).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(accepted_at=now, accepted_by=user.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # Lost to a concurrent accept or revoke (or it expired meanwhile): say which.
        await session.refresh(invite)
        state = invite_state(invite)
        raise _gone("accepted" if state == "open" else state)
    dynamic = Dynamic(pair_key=key)
    session.add(dynamic)
    session.add(Membership(dynamic_id=dynamic.id, user_id=invite.inviter_id, joined_at=now))
    session.add(Membership(dynamic_id=dynamic.id, user_id=user.id, joined_at=now))
    try:
        await session.flush()
    except IntegrityError:
        # The unique index on open pairs: a concurrent accept of another invite won.
        raise conflict("already_paired", "you already have a dynamic with this partner") from None
    await session.execute(
        update(Invite).where(col(Invite.id) == invite.id).values(dynamic_id=dynamic.id)
    )
    await dynamic_changed(session, dynamic.id)
    # Each member's (empty) view of the limits exists from the start.
    await sync.limits_changed_for(session, dynamic.id, [invite.inviter_id, user.id])
    await notify(
        session,
        recipients=[invite.inviter_id],
        kind=NotificationKind.partner_linked,
        dynamic_id=dynamic.id,
        actor_id=user.id,
        data={"actor_name": user.display_name},
    )
    return dynamic


async def dynamic_changed(session: AsyncSession, dynamic_id: uuid.UUID) -> int:
    """Record in the feed that the dynamic (as ``view`` shows it) changed."""
    return await sync.in_dynamic(session, dynamic_id, DYNAMIC, dynamic_id)


# --- reading dynamics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Views:
    session: AsyncSession

    async def many(self, dynamics: list[Dynamic]) -> list[DynamicPublic]:
        rows = await repository.members_with_users(self.session, [d.id for d in dynamics])
        members: dict[uuid.UUID, list[MemberPublic]] = {d.id: [] for d in dynamics}
        for membership, user in rows:
            members[membership.dynamic_id].append(_member_view(membership, user))
        return [
            DynamicPublic(
                id=d.id,
                state=DynamicState(d.state),
                created_at=d.created_at,
                ended_at=d.ended_at,
                ended_by=d.ended_by,
                ended_reason=d.ended_reason,
                members=members[d.id],
            )
            for d in dynamics
        ]


def _member_view(membership: Membership, user: User | None) -> MemberPublic:
    return MemberPublic(
        user_id=membership.user_id,
        display_name=user.display_name if user else FORMER_MEMBER,
        pronouns=user.pronouns if user else None,
        role=Role(membership.role),
        nickname=membership.nickname,
        joined_at=membership.joined_at,
        red_at=membership.red_at,
        red_note=membership.red_note,
        yellow_at=membership.yellow_at,
        yellow_note=membership.yellow_note,
        saw_red_at=membership.saw_red_at,
        saw_yellow_at=membership.saw_yellow_at,
        saw_note=membership.saw_note,
        introduced_at=membership.introduced_at,
    )


async def view(session: AsyncSession, dynamic: Dynamic) -> DynamicPublic:
    return (await _Views(session).many([dynamic]))[0]


async def list_views(
    session: AsyncSession, user: User, *, state: str | None, cursor: str | None, limit: int
) -> tuple[list[DynamicPublic], str | None]:
    dynamics, next_cursor = await repository.dynamics_of(
        session, user.id, state=state, cursor=cursor, limit=limit
    )
    return await _Views(session).many(dynamics), next_cursor


async def list_json(
    session: AsyncSession,
    views: ViewCache,
    user: User,
    *,
    state: str | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> bytes:
    """The caller's dynamics as the bytes sent, kept while none of them changed and they are
    in no other (``app.core.views``); nothing in it changes by time alone."""
    revision = await repository.dynamics_revision(session, user.id)

    async def compute() -> Computed:
        items, next_cursor = await list_views(
            session, user, state=state, cursor=cursor, limit=limit
        )
        return DynamicPage(items=items, next_cursor=next_cursor).model_dump_json().encode(), None

    return await views.through(("dynamics", user.id, state, cursor, limit), revision, now, compute)


async def get_view(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> DynamicPublic:
    dynamic, _ = await repository.member_dynamic(session, dynamic_id, user.id)
    return await view(session, dynamic)


# --- changing a dynamic -------------------------------------------------------------------------


async def _locked(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User
) -> tuple[Dynamic, Membership]:
    dynamic, membership = await repository.member_dynamic(
        session, dynamic_id, user.id, for_update=True
    )
    # The lock is on the dynamic's row; on PostgreSQL the membership came from the snapshot
    # taken before waiting for it. Read it again, as the request that held the lock left it
    # (two taps of one person racing must see each other's red or "I see you").
    await session.refresh(membership)
    ensure_open(dynamic)
    # Every caller changes the dynamic (or fails and rolls this back with it).
    await dynamic_changed(session, dynamic.id)
    return dynamic, membership


async def _settle_state(session: AsyncSession, dynamic: Dynamic) -> None:
    """A dynamic is paused exactly while at least one member's red stands."""
    reds = (
        await session.execute(
            select(func.count()).where(
                col(Membership.dynamic_id) == dynamic.id, col(Membership.red_at).is_not(None)
            )
        )
    ).scalar_one()
    was = dynamic.state
    dynamic.state = DynamicState.paused if reds else DynamicState.active
    now = utcnow()
    dynamic.updated_at = now
    session.add(dynamic)
    if was != DynamicState.paused and dynamic.state == DynamicState.paused:
        session.add(DynamicPause(dynamic_id=dynamic.id, started_at=now))
    elif was == DynamicState.paused and dynamic.state != DynamicState.paused:
        await repository.close_pause(session, dynamic.id, now)
    await session.flush()


async def _tell_partner(
    session: AsyncSession,
    dynamic: Dynamic,
    user: User,
    kind: NotificationKind,
    extra: dict[str, object] | None = None,
) -> None:
    await notify(
        session,
        recipients=await repository.partner_ids(session, dynamic.id, user.id),
        kind=kind,
        dynamic_id=dynamic.id,
        actor_id=user.id,
        data={"actor_name": user.display_name, **(extra or {})},
    )


async def update_membership(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, data: MembershipUpdate
) -> Dynamic:
    dynamic, membership = await _locked(session, dynamic_id, user)
    if data.role is not None:
        membership.role = data.role
    if "nickname" in data.model_fields_set:
        membership.nickname = data.nickname
    session.add(membership)
    dynamic.updated_at = utcnow()
    session.add(dynamic)
    await session.flush()
    return dynamic


async def _signal_note(
    session: AsyncSession,
    dynamic: Dynamic,
    user: User,
    note: str | Envelope | None,
    private: WordsPrivate,
) -> str | None:
    """A signal's note as stored: words, or in a private dynamic only their envelope (sealed on
    the device for ``member:<user id>:<field>``). A refused note refuses the whole call, so
    nothing is stored: the phone sends the signal again without it (docs/e2ee.md)."""
    check_words(
        private=await private(session, dynamic.id), entity_id=user.id, fields={"note": note}
    )
    return to_column(note)


async def call_red(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    note: str | Envelope | None,
    private: WordsPrivate,
) -> Dynamic:
    dynamic, membership = await _locked(session, dynamic_id, user)
    note = await _signal_note(session, dynamic, user, note, private)  # a blank note is no note
    if membership.red_at is None:
        membership.red_at = utcnow()
        membership.red_note = note
        session.add(membership)
        await _settle_state(session, dynamic)
        await _tell_partner(session, dynamic, user, NotificationKind.red)
    elif note is not None:
        membership.red_note = note
        session.add(membership)
        dynamic.updated_at = utcnow()
        session.add(dynamic)
    return dynamic


async def raise_yellow(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    note: str | Envelope | None,
    private: WordsPrivate,
) -> Dynamic:
    dynamic, membership = await _locked(session, dynamic_id, user)
    note = await _signal_note(session, dynamic, user, note, private)
    if membership.yellow_at is None:
        membership.yellow_at = utcnow()
        membership.yellow_note = note
        session.add(membership)
        dynamic.updated_at = utcnow()
        session.add(dynamic)
        await _tell_partner(session, dynamic, user, NotificationKind.yellow)
    elif note is not None:
        # Like red: raising it again (a retry, a second tap) is one flag and one notification.
        membership.yellow_note = note
        session.add(membership)
        dynamic.updated_at = utcnow()
        session.add(dynamic)
    return dynamic


async def see(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    note: str | Envelope | None,
    private: WordsPrivate,
) -> Dynamic:
    """ "I see you": answer the partner's standing red and yellow, so they know it reached you.

    The partner is told the first time each flag is seen, and again when the note changes; a
    repeat (a retry, a second tap) changes nothing else."""
    dynamic, membership = await _locked(session, dynamic_id, user)
    note = await _signal_note(session, dynamic, user, note, private)
    standing = {
        flag
        for partner in await repository.partner_memberships(session, dynamic.id, user.id)
        for flag, at in (("red", partner.red_at), ("yellow", partner.yellow_at))
        if at is not None
    }
    if not standing:
        raise conflict("nothing_to_see", "your partner has no red or yellow standing")
    now = utcnow()
    newly = []
    if "red" in standing and membership.saw_red_at is None:
        membership.saw_red_at = now
        newly.append("red")
    if "yellow" in standing and membership.saw_yellow_at is None:
        membership.saw_yellow_at = now
        newly.append("yellow")
    note_changed = note is not None and note != membership.saw_note
    if note_changed:
        membership.saw_note = note
    if not newly and not note_changed:
        return dynamic
    session.add(membership)
    dynamic.updated_at = now
    session.add(dynamic)
    await _tell_partner(
        session, dynamic, user, NotificationKind.seen, {"signals": newly or sorted(standing)}
    )
    return dynamic


async def mark_introduced(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> Dynamic:
    """The first minute after pairing is done for this member (stored per member, so it is
    shown once whichever device they use). A repeat changes nothing."""
    dynamic, membership = await _locked(session, dynamic_id, user)
    if membership.introduced_at is None:
        membership.introduced_at = utcnow()
        session.add(membership)
    return dynamic


async def resume(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> Dynamic:
    """Lift the caller's own red and yellow. Nobody can lift their partner's red."""
    dynamic, membership = await _locked(session, dynamic_id, user)
    if membership.red_at is None and membership.yellow_at is None:
        if dynamic.state == DynamicState.paused:
            raise forbidden("not_your_red", "only the member who called red can lift it")
        raise conflict("nothing_to_resume", "you have no red or yellow standing")
    lifted = [
        flag
        for flag, at in (("red", membership.red_at), ("yellow", membership.yellow_at))
        if at is not None
    ]
    membership.red_at = membership.red_note = None
    membership.yellow_at = membership.yellow_note = None
    session.add(membership)
    # The partner's "I see you" answered these flags: it goes with them.
    for partner in await repository.partner_memberships(
        session, dynamic.id, user.id, for_update=True
    ):
        partner.saw_red_at = partner.saw_yellow_at = partner.saw_note = None
        session.add(partner)
    await _settle_state(session, dynamic)
    # The partner saw the flag go up, so they are told it came down, even while their own red
    # keeps the dynamic paused; ``state`` says whether it is still paused.
    await _tell_partner(
        session,
        dynamic,
        user,
        NotificationKind.resumed,
        {"lifted": lifted, "state": DynamicState(dynamic.state).value},
    )
    return dynamic


async def leave(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, *, reason: str = "left"
) -> Dynamic:
    dynamic, _ = await _locked(session, dynamic_id, user)
    now = utcnow()
    dynamic.state = DynamicState.ended
    dynamic.ended_at = now
    dynamic.ended_by = user.id
    dynamic.ended_reason = reason
    dynamic.updated_at = now
    session.add(dynamic)
    await repository.close_pause(session, dynamic.id, now)
    await session.flush()
    await _tell_partner(session, dynamic, user, NotificationKind.partner_left)
    return dynamic


async def on_account_deleted(session: AsyncSession, user: User) -> None:
    """End every dynamic the user is in and clear what they wrote in their membership."""
    memberships = (
        await session.execute(select(Membership).where(col(Membership.user_id) == user.id))
    ).scalars()
    for membership in list(memberships):
        dynamic = await session.get(Dynamic, membership.dynamic_id)
        if dynamic is not None and dynamic.state != DynamicState.ended:
            await leave(session, dynamic.id, user, reason="account_deleted")
        membership.nickname = None
        membership.red_note = membership.yellow_note = None
        membership.red_at = membership.yellow_at = None
        membership.saw_red_at = membership.saw_yellow_at = membership.saw_note = None
        session.add(membership)
    await session.flush()


async def export_for(session: AsyncSession, user: User) -> dict[str, object]:
    """The user's dynamics (ended ones too) and the invites they made."""
    dynamics = (
        await session.execute(
            select(Dynamic)
            .join(Membership, col(Membership.dynamic_id) == col(Dynamic.id))
            .where(col(Membership.user_id) == user.id)
            .order_by(col(Dynamic.created_at))
        )
    ).scalars()
    invites = (
        await session.execute(
            select(Invite).where(col(Invite.inviter_id) == user.id).order_by(col(Invite.created_at))
        )
    ).scalars()
    return {
        "dynamics": [v.model_dump(mode="json") for v in await _Views(session).many(list(dynamics))],
        "invites": [
            {
                "code": i.code,
                "created_at": i.created_at.isoformat(),
                "expires_at": i.expires_at.isoformat(),
                "state": invite_state(i),
                "dynamic_id": str(i.dynamic_id) if i.dynamic_id else None,
            }
            for i in invites
        ],
    }
