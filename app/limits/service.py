from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.envelopes import check_words, stored_words, to_column
from app.core.errors import AppError
from app.dynamics import repository as dynamics_repository
from app.dynamics.service import ensure_open
from app.keys import repository as keys_repository
from app.limits import repository
from app.limits.catalogue import CATALOGUE, DIRECTED
from app.limits.matching import Said, meetings
from app.limits.models import LimitAnswer, LimitReveal
from app.limits.schemas import (
    BOTH,
    Answer,
    AnswerOut,
    CatalogueItem,
    ExportedLimit,
    ExportedReveal,
    HardLimit,
    ItemAnswer,
    LimitsView,
    Rekey,
    Revealed,
    Role,
    is_blind,
)
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.sync import record as sync

_CATALOGUE = [
    CatalogueItem(key=k, category=c, label=label, directed=k in DIRECTED)
    for k, c, label in CATALOGUE
]

_KEYS = frozenset(c.key for c in _CATALOGUE)

# An answer as stored: (item, role) → (answer, condition, label), the last two as columns.
Stored = dict[tuple[str, str], tuple[str, str | None, str | None]]


def _role(stored: str) -> Role | None:
    return None if stored == BOTH else Role(stored)


def _answers(rows: list[LimitAnswer]) -> list[AnswerOut]:
    return [
        AnswerOut(
            item=r.item,
            answer=Answer(r.answer),
            role=_role(r.role),
            condition=r.condition,
            label=r.label,
        )
        for r in rows
    ]


def _said(rows: list[LimitAnswer]) -> list[Said]:
    return [Said(r.item, Answer(r.answer), r.role) for r in rows]


def _side_of(reveal: LimitReveal, viewer_id: uuid.UUID) -> str:
    if reveal.giver_id == viewer_id:
        return Role.giving
    if reveal.receiver_id == viewer_id:
        return Role.receiving
    return BOTH


RevealKey = tuple[str, uuid.UUID | None, uuid.UUID | None]  # (item, giver, receiver)


def _reveal_key(item: str, side: str, me: uuid.UUID, partner: uuid.UUID) -> RevealKey:
    """Who gives and who receives in a meeting in which ``me`` is on ``side``."""
    if side == Role.giving:
        return (item, me, partner)
    if side == Role.receiving:
        return (item, partner, me)
    return (item, None, None)


async def _view(session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID) -> LimitsView:
    mine = await repository.mine(session, dynamic_id, user_id)
    partner = await repository.revealed_to(session, dynamic_id, user_id)
    met = meetings(_said(mine), _said(partner))
    revealed = []
    for reveal in await repository.reveals(session, dynamic_id):
        side = _side_of(reveal, user_id)
        revealed.append(
            Revealed(
                item=reveal.item,
                label=reveal.label,
                role=_role(side),
                kind=None if reveal.withdrawn_at else met.get((reveal.item, side)),
                revealed_at=reveal.revealed_at,
                withdrawn_at=reveal.withdrawn_at,
                withdrawn_by=reveal.withdrawn_by,
            )
        )
    return LimitsView(
        catalogue=_CATALOGUE,
        mine=_answers(mine),
        partner=_answers(partner),
        partner_hard_limits=[
            HardLimit(item=r.item, role=_role(r.role), label=r.label)
            for r in partner
            if r.answer == Answer.hard_limit
        ],
        matches=sorted({item for (item, _), kind in met.items() if kind == "match"}),
        talk=sorted({item for (item, _), kind in met.items() if kind == "talk"}),
        revealed=revealed,
    )


async def view_for(
    session: AsyncSession, dynamic_id: uuid.UUID, viewer_id: uuid.UUID
) -> LimitsView:
    """The view of a member already known to be in the dynamic (the change feed's)."""
    return await _view(session, dynamic_id, viewer_id)


async def view(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> LimitsView:
    await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    return await _view(session, dynamic_id, user.id)


def _checked(items: list[ItemAnswer]) -> Stored:
    """The answers as stored, refusing an item answered twice for one direction, or answered
    both "either way" and for one direction."""
    answers: Stored = {}
    for entry in items:
        # ``entry.item`` is already the item's one name (see ``item_key``), so case variants of
        # one item collide here.
        key = (entry.item, entry.role.value if entry.role else BOTH)
        if key in answers:
            raise AppError(422, "duplicate_item", f"{entry.item!r} is answered twice")
        answers[key] = (entry.answer.value, to_column(entry.condition), to_column(entry.label))
    roles: dict[str, set[str]] = {}
    for item, role in answers:
        roles.setdefault(item, set()).add(role)
    for item, found in sorted(roles.items()):
        if BOTH in found and len(found) > 1:
            raise AppError(
                422,
                "mixed_directions",
                f"{item!r} is answered both either way and for one direction: keep one",
            )
    return answers


def _changed(before: Stored, after: Stored) -> int:
    """How many answers changed: an answer or its condition (a label is an item's name, sealed
    anew by the phone, and changes nothing)."""

    def same(key: tuple[str, str]) -> bool:
        was, now = before.get(key), after.get(key)
        if was is None or now is None:
            return was is now
        if was[0] != now[0]:
            return False
        # Words in clear sealed on the phone (the one way they can be sent once the words are
        # private) are the same answer; the server cannot read them to tell otherwise.
        return was[1] == now[1] or (_in_clear(was[1]) and not _in_clear(now[1]))

    return sum(not same(key) for key in before.keys() | after.keys())


def _in_clear(column: str | None) -> bool:
    return column is not None and stored_words(column) is None


def _check_words(private: bool, dynamic_id: uuid.UUID, items: list[ItemAnswer]) -> None:
    """In a dynamic whose words are private a custom item is a blind index with its sealed
    label, and a condition is an envelope; in one without, neither (nobody could open them)."""
    for i, entry in enumerate(items):
        custom_in_clear = entry.item not in _KEYS and not is_blind(entry.item)
        check_words(
            private=private,
            entity_id=dynamic_id,
            fields={
                f"items[{i}].item": entry.item if custom_in_clear else None,
                f"items[{i}].condition": entry.condition,
                f"items[{i}].label": entry.label,
            },
        )


async def _rekey(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user_id: uuid.UUID,
    private: bool,
    moves: list[Rekey],
) -> None:
    if moves and not private:
        raise AppError(
            422,
            "no_pair_key",
            "rekey: this dynamic has no pair key yet, so its items stay as they are",
            errors=[{"loc": ["body", "rekey"], "msg": "no pair key yet", "type": "no_pair_key"}],
        )
    for i, move in enumerate(moves):
        if move.item in _KEYS:
            raise AppError(
                422,
                "catalogue_item",
                f"rekey[{i}].item: {move.item!r} is on the checklist, not a custom item",
                errors=[
                    {
                        "loc": ["body", "rekey", i, "item"],
                        "msg": "a checklist item is never renamed",
                        "type": "catalogue_item",
                    }
                ],
            )
    if not moves:
        return
    # The partner's answers are renamed only where the caller sees them anyway (a no, a hard
    # limit, a desire that meets one of the caller's): never a private one, which the partner's
    # own phone renames.
    visible = {r.id for r in await repository.revealed_to(session, dynamic_id, user_id)}
    for move in moves:
        label = to_column(move.label)
        assert label is not None
        await repository.rekey(
            session, dynamic_id, move.item, move.to, label, owner=user_id, visible=visible
        )


async def _reconcile(
    session: AsyncSession, dynamic_id: uuid.UUID, me: uuid.UUID, partner: uuid.UUID, now: datetime
) -> tuple[int, int]:
    """Bring the dynamic's reveals in line with the answers after ``me`` saved: a meeting new
    (or back) is revealed now; a revealed one that no longer meets is withdrawn by ``me``.
    Returns (appeared, withdrawn)."""
    mine = await repository.mine(session, dynamic_id, me)
    theirs = await repository.revealed_to(session, dynamic_id, me)
    current = {
        _reveal_key(item, side, me, partner) for item, side in meetings(_said(mine), _said(theirs))
    }
    # A blind-indexed item's sealed words go with its reveal (either answer's: both open alike).
    labels = {r.item: r.label for r in (*mine, *theirs) if r.label}
    known: dict[RevealKey, LimitReveal] = {
        (r.item, r.giver_id, r.receiver_id): r
        for r in await repository.reveals(session, dynamic_id)
    }
    appeared = withdrawn = 0
    for key in sorted(current, key=str):
        reveal = known.get(key)
        if reveal is None:
            item, giver, receiver = key
            session.add(
                LimitReveal(
                    dynamic_id=dynamic_id,
                    item=item,
                    label=labels.get(item),
                    giver_id=giver,
                    receiver_id=receiver,
                    revealed_at=now,
                )
            )
            appeared += 1
        elif reveal.withdrawn_at is not None:
            reveal.revealed_at, reveal.withdrawn_at, reveal.withdrawn_by = now, None, None
            reveal.label = reveal.label or labels.get(reveal.item)
            appeared += 1
    for key, reveal in known.items():
        if key not in current and reveal.withdrawn_at is None:
            reveal.withdrawn_at, reveal.withdrawn_by = now, me
            withdrawn += 1
    await session.flush()
    return appeared, withdrawn


async def replace_mine(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    items: list[ItemAnswer],
    rekey: list[Rekey] | None = None,
) -> LimitsView:
    """Replace all of the caller's answers in this dynamic (a PUT). The partner is told how many
    answers changed and how many matches appeared or were withdrawn, so that trying answers
    out to see what the partner said always leaves a trace the partner sees."""
    dynamic, _ = await dynamics_repository.member_dynamic(
        session, dynamic_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    after = _checked(items)
    private = await keys_repository.has_pair_key(session, dynamic.id)
    _check_words(private, dynamic.id, items)
    # Renamed first, so that a match made in clear is the same match under its blind index,
    # and the renaming counts as no change.
    await _rekey(session, dynamic.id, user.id, private, rekey or [])
    rows = await repository.mine(session, dynamic.id, user.id)
    before: Stored = {(r.item, r.role): (r.answer, r.condition, r.label) for r in rows}
    changed = _changed(before, after)
    now = utcnow()
    await session.execute(
        delete(LimitAnswer).where(
            col(LimitAnswer.dynamic_id) == dynamic.id, col(LimitAnswer.user_id) == user.id
        )
    )
    session.add_all(
        LimitAnswer(
            dynamic_id=dynamic.id,
            user_id=user.id,
            item=item,
            role=role,
            answer=answer,
            condition=condition,
            label=label,
            updated_at=now,
        )
        for (item, role), (answer, condition, label) in after.items()
    )
    await session.flush()
    told = []
    partner_ids = await dynamics_repository.partner_ids(session, dynamic.id, user.id)
    for pid in partner_ids:
        appeared, withdrawn = await _reconcile(session, dynamic.id, user.id, pid, now)
        if changed or appeared or withdrawn:
            told.append((pid, {"changed": changed, "appeared": appeared, "withdrawn": withdrawn}))
    # A renaming changes the partner's view too (their answers it saw, the reveals).
    renamed = list(partner_ids) if rekey else []
    told_ids = {pid for pid, _ in told} | set(renamed)
    await sync.limits_changed_for(session, dynamic.id, [user.id, *sorted(told_ids, key=str)])
    for pid, counts in told:
        # Counts only: the inbox may reach a lock screen, so it names no item and no answer.
        await notify(
            session,
            recipients=[pid],
            kind=NotificationKind.limits_updated,
            dynamic_id=dynamic.id,
            actor_id=user.id,
            data=counts,
        )
    return await _view(session, dynamic.id, user.id)


async def export_for(session: AsyncSession, user: User) -> dict[str, list[dict[str, object]]]:
    """The user's own answers in every dynamic (never the partner's private ones), and the
    reveals of those dynamics, from the user's side."""
    rows = (
        await session.execute(
            select(LimitAnswer)
            .where(col(LimitAnswer.user_id) == user.id)
            .order_by(col(LimitAnswer.dynamic_id), col(LimitAnswer.item), col(LimitAnswer.role))
        )
    ).scalars()
    limits = [
        ExportedLimit(
            dynamic_id=r.dynamic_id,
            item=r.item,
            answer=r.answer,
            role=_role(r.role),
            condition=r.condition,
            label=r.label,
        ).model_dump(mode="json")
        for r in rows
    ]
    reveals = [
        ExportedReveal(
            dynamic_id=r.dynamic_id,
            item=r.item,
            label=r.label,
            role=_role(_side_of(r, user.id)),
            revealed_at=r.revealed_at,
            withdrawn_at=r.withdrawn_at,
            withdrawn_by=r.withdrawn_by,
        ).model_dump(mode="json")
        for r in await repository.reveals_of_user(session, user.id)
    ]
    return {"limits": limits, "limit_reveals": reveals}
