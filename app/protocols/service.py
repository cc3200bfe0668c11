"""Negotiation, follow-through and recognition. The consent rules themselves are in ``rules``;
this module loads their state, applies their answer and keeps the history.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.envelopes import Envelope, check_words, to_column
from app.core.errors import AppError, conflict, forbidden
from app.core.validation import ClientTimeError, check_client_time
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Dynamic, DynamicState, Membership
from app.dynamics.service import ensure_active, ensure_open
from app.keys import repository as keys_repository
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.protocols import repository, rules
from app.protocols.adherence import (
    SPAN_EVENTS,
    Interval,
    VersionInForce,
    across_versions,
    in_force_spans,
)
from app.protocols.models import (
    COMPLETION,
    PROTOCOL,
    Completion,
    Protocol,
    ProtocolAgreement,
    ProtocolEvent,
    ProtocolVersion,
)
from app.protocols.rules import NotAMember, Outcome, ProtocolState, RuleError, Status
from app.protocols.schemas import (
    Adherence,
    AgreementPublic,
    CompletionCreate,
    CompletionPublic,
    EventPublic,
    ProtocolCreate,
    ProtocolHistory,
    ProtocolPublic,
    ProtocolUpdate,
    ReasonIn,
    Schedule,
    Terms,
    VersionHistory,
)
from app.sync import record as sync

ADHERENCE_WINDOW_DAYS = 28
# The statuses a protocol can have after it was once in force (a retired one maybe never was).
IN_FORCE_ONCE = frozenset({Status.active, Status.suspended, Status.retired})
TERM_FIELDS = (
    "title",
    "description",
    "kind",
    "performer_ids",
    "schedule",
    "reminders",
    "review_on",
)
# The terms that are words: envelopes in a private dynamic (docs/e2ee.md).
WORDS = ("title", "description")
# What the partner is told, per event of the rules.
NOTICE = {
    "proposed": NotificationKind.protocol_proposed,
    "renegotiated": NotificationKind.protocol_renegotiated,
    "agreed": NotificationKind.protocol_agreed,
    "activated": NotificationKind.protocol_active,
    "reactivated": NotificationKind.protocol_active,
    "declined": NotificationKind.protocol_declined,
    "suspended": NotificationKind.protocol_withdrawn,
    "withdrawn": NotificationKind.protocol_withdrawn,
    "retired": NotificationKind.protocol_retired,
}


def etag(protocol: Protocol) -> str:
    return f'"p{protocol.revision}"'


def current_version(protocol: Protocol) -> int:
    """The version whose terms apply to the protocol now: the one open for agreement, else the
    one in force, else the newest. A declined renegotiation is newer than the version in force
    but never applies: it stays in the history only."""
    return protocol.open_version or protocol.in_force_version or protocol.version


def _refused(error: RuleError) -> AppError:
    """The API's answer to a refusal of the rules: an outsider is forbidden, anything else
    conflicts with the protocol as it stands."""
    if isinstance(error, NotAMember):
        return forbidden(error.code, error.detail)
    return conflict(error.code, error.detail)


# --- state ------------------------------------------------------------------------------------


async def _state(session: AsyncSession, protocol: Protocol) -> ProtocolState:
    member_ids = frozenset(m.id for m in await repository.members(session, protocol.dynamic_id))
    live = await repository.live_agreements(session, protocol.id)
    return ProtocolState(
        members=member_ids,
        status=Status(protocol.status),
        version=protocol.version,
        in_force=protocol.in_force_version,
        open_version=protocol.open_version,
        agreed=frozenset(
            a.user_id for a in live if a.version == protocol.open_version and a.user_id is not None
        ),
    )


async def _apply(
    session: AsyncSession,
    protocol: Protocol,
    outcome: Outcome,
    actor: User,
    *,
    reason: ReasonIn | None = None,
    version: int | None = None,
) -> None:
    """Store what the rules decided: the protocol's state, the standing agreements (exactly
    those the new state implies), the history, and the partner's notifications."""
    now = utcnow()
    state = outcome.state
    protocol.status = state.status
    protocol.version = state.version
    protocol.in_force_version = state.in_force
    protocol.open_version = state.open_version
    protocol.revision += 1
    protocol.updated_at = now
    session.add(protocol)

    wanted = set(state.live_agreements())
    for agreement in await repository.live_agreements(session, protocol.id):
        key = (agreement.version, agreement.user_id)
        if key in wanted:
            wanted.discard(key)
        else:
            agreement.withdrawn_at = now
            session.add(agreement)
    await session.flush()
    for number, member in sorted(wanted, key=lambda k: (k[0], str(k[1]))):
        session.add(
            ProtocolAgreement(
                protocol_id=protocol.id,
                dynamic_id=protocol.dynamic_id,
                version=number,
                user_id=member,
                agreed_at=now,
            )
        )
    subject = version or state.version
    for position, action in enumerate(outcome.events):
        session.add(
            ProtocolEvent(
                **_reason_of(reason, first=position == 0),
                seq=protocol.revision * 8 + position,
                protocol_id=protocol.id,
                dynamic_id=protocol.dynamic_id,
                version=subject,
                action=action,
                actor_id=actor.id,
                at=now,
            )
        )
    try:
        await session.flush()
    except IntegrityError:
        raise conflict(
            "concurrent_change", "the protocol changed meanwhile; read it again"
        ) from None
    await sync.in_dynamic(session, protocol.dynamic_id, PROTOCOL, protocol.id)
    if outcome.events:
        kind = NOTICE[outcome.events[-1]]
        await notify(
            session,
            recipients=state.members,
            kind=kind,
            dynamic_id=protocol.dynamic_id,
            actor_id=actor.id,
            data={"protocol_id": str(protocol.id), "version": subject},
        )


def _sealed(*values: object) -> bool:
    """Words the server cannot read: an envelope (an object) where words would be text."""
    return any(isinstance(v, dict) for v in values)


def _reason_of(reason: ReasonIn | None, *, first: bool) -> dict[str, Any]:
    """An event's id and reason. A sealed reason names the event the device made its id for
    (protocol_event:<id>:reason), so it is stored on that, the first, event of the action (a
    withdrawal that suspends adds a second one); words in clear go on each, as they always did."""
    if reason is None:
        return {}
    if first:
        return {"id": reason.id or uuid.uuid4(), "reason": to_column(reason.reason)}
    return {} if isinstance(reason.reason, Envelope) else {"reason": reason.reason}


# --- terms ------------------------------------------------------------------------------------


def _terms_dict(version: ProtocolVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in TERM_FIELDS}


def _terms(version: ProtocolVersion) -> Terms:
    return Terms(
        number=version.number,
        version_id=version.id,
        title=version.title,
        description=version.description,
        kind=version.kind,
        performer_ids=[uuid.UUID(p) for p in version.performer_ids],
        schedule=Schedule.model_validate(version.schedule) if version.schedule else None,
        reminders=version.reminders,
        review_on=version.review_on,
        created_by=version.created_by,
        created_at=version.created_at,
    )


def _check_terms(
    terms: dict[str, Any],
    member_ids: frozenset[uuid.UUID],
    zone: ZoneInfo,
    now: datetime,
    *,
    check_review: bool = True,
) -> None:
    performers = {uuid.UUID(str(p)) for p in terms["performer_ids"]}
    if not performers <= member_ids:
        raise AppError(422, "performer_not_member", "performer_ids must be members of this dynamic")
    review_on: date | None = terms["review_on"]
    if review_on is not None and check_review:
        today = now.astimezone(zone).date()
        if review_on < today:
            raise AppError(422, "review_on_past", "review_on must be today or later")
        if review_on > today + timedelta(days=5 * 366):
            raise AppError(422, "review_on_too_far", "review_on must be within five years")


def _new_version(
    protocol: Protocol,
    number: int,
    terms: dict[str, Any],
    author: User,
    version_id: uuid.UUID | None,
) -> ProtocolVersion:
    schedule = terms["schedule"]
    return ProtocolVersion(
        id=version_id or uuid.uuid4(),
        protocol_id=protocol.id,
        dynamic_id=protocol.dynamic_id,
        number=number,
        title=to_column(terms["title"]) or "",
        description=to_column(terms["description"]) or "",
        kind=str(terms["kind"]),
        performer_ids=sorted(str(p) for p in terms["performer_ids"]),
        schedule=schedule.model_dump() if isinstance(schedule, Schedule) else schedule,
        reminders=terms["reminders"],
        review_on=terms["review_on"],
        created_by=author.id,
    )


# --- negotiation ------------------------------------------------------------------------------


async def propose(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, data: ProtocolCreate
) -> Protocol:
    dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    ensure_open(dynamic)
    member_ids = frozenset(m.id for m in await repository.members(session, dynamic.id))
    terms = data.model_dump(include=set(TERM_FIELDS))
    terms["schedule"] = data.schedule
    terms["title"], terms["description"] = data.title, data.description
    await _check_version_words(session, dynamic.id, data)
    _check_terms(terms, member_ids, ZoneInfo(user.timezone), utcnow())
    try:
        outcome = rules.propose(member_ids, user.id)
    except RuleError as error:
        raise _refused(error) from None
    protocol = Protocol(
        dynamic_id=dynamic.id,
        status=outcome.state.status,
        version=1,
        open_version=1,
        created_by=user.id,
        revision=0,
    )
    session.add(protocol)
    session.add(_new_version(protocol, 1, terms, user, data.version_id))
    await session.flush()
    await _apply(session, protocol, outcome, user)
    return protocol


async def renegotiate(
    session: AsyncSession,
    protocol_id: uuid.UUID,
    user: User,
    data: ProtocolUpdate,
    *,
    if_match: str | None,
) -> Protocol:
    protocol, dynamic = await repository.member_protocol(
        session, protocol_id, user.id, for_update=True
    )
    # An ended dynamic is read-only whatever the precondition: no ETag would make this succeed.
    ensure_open(dynamic)
    if if_match is None:
        raise AppError(
            428, "if_match_required", "send If-Match with the ETag of the protocol you edited"
        )
    if not _etag_matches(if_match, etag(protocol)):
        raise AppError(
            412, "etag_mismatch", "the protocol changed since you read it; read it again"
        )
    state = await _state(session, protocol)
    try:
        outcome = rules.renegotiate(state, user.id)
    except RuleError as error:
        raise _refused(error) from None
    # A change starts from the terms that apply, never from a renegotiation that was declined.
    (latest,) = await repository.versions(
        session, [protocol.id], numbers={current_version(protocol)}
    )
    await _check_version_words(session, dynamic.id, data)
    terms = _terms_dict(latest)
    for name in data.model_fields_set - {"version_id"}:
        terms[name] = getattr(data, name)
    if _same_terms(terms, _terms_dict(latest)):
        raise AppError(422, "no_change", "the new version would be identical to the current one")
    # A review date that has passed is exactly when a protocol gets renegotiated: only a new
    # review date has to be in the future.
    _check_terms(
        terms,
        state.members,
        ZoneInfo(user.timezone),
        utcnow(),
        check_review=terms["review_on"] != latest.review_on,
    )
    session.add(_new_version(protocol, outcome.state.version, terms, user, data.version_id))
    await session.flush()
    await _apply(session, protocol, outcome, user)
    return protocol


async def _check_version_words(
    session: AsyncSession, dynamic_id: uuid.UUID, data: ProtocolCreate | ProtocolUpdate
) -> None:
    """The one rule for a version's words. Their envelopes name the version, so a new version
    of a private dynamic seals its words again: a title or description left out would be the
    previous version's envelope, which does not open under the new version's id."""
    private = await keys_repository.has_pair_key(session, dynamic_id)
    fields = {"title": data.title, "description": data.description}
    if private and isinstance(data, ProtocolUpdate):
        for name in fields.keys() - data.model_fields_set:
            raise _refused_words(name)
    check_words(private=private, entity_id=data.version_id, fields=fields)


def _same_terms(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _comparable(a) == _comparable(b)


def _comparable(terms: dict[str, Any]) -> dict[str, Any]:
    schedule = terms["schedule"]
    return {
        **terms,
        "kind": str(terms["kind"]),
        "performer_ids": sorted(str(p) for p in terms["performer_ids"]),
        "schedule": schedule.model_dump() if isinstance(schedule, Schedule) else schedule,
    }


def _etag_matches(header: str, current: str) -> bool:
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or current in candidates or f"W/{current}" in candidates


def _refused_words(name: str) -> AppError:
    msg = "a new version's words are sealed for it: send them again, sealed for its version_id"
    return AppError(
        422,
        "words_resealed",
        f"{name}: {msg}",
        errors=[{"loc": ["body", name], "msg": msg, "type": "words_resealed"}],
    )


# What an action asks of the rules, given the protocol's state and its dynamic.
Rule = Callable[[ProtocolState, Dynamic], Outcome]


async def _act(
    session: AsyncSession,
    protocol_id: uuid.UUID,
    user: User,
    rule: Rule,
    *,
    reason: ReasonIn | None = None,
) -> Protocol:
    protocol, dynamic = await repository.member_protocol(
        session, protocol_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    reason = reason or ReasonIn()
    private = await keys_repository.has_pair_key(session, dynamic.id)
    check_words(private=private, entity_id=reason.id, fields={"reason": reason.reason})
    state = await _state(session, protocol)
    subject = state.open_version or state.in_force or state.version
    try:
        outcome = rule(state, dynamic)
    except RuleError as error:
        raise _refused(error) from None
    if outcome.events:
        await _apply(session, protocol, outcome, user, reason=reason, version=subject)
    return protocol


async def agree(
    session: AsyncSession, protocol_id: uuid.UUID, user: User, version: int
) -> Protocol:
    def rule(state: ProtocolState, dynamic: Dynamic) -> Outcome:
        return rules.agree(state, user.id, version, paused=dynamic.state == DynamicState.paused)

    return await _act(session, protocol_id, user, rule)


async def decline(
    session: AsyncSession, protocol_id: uuid.UUID, user: User, reason: ReasonIn | None
) -> Protocol:
    return await _act(
        session, protocol_id, user, lambda state, _: rules.decline(state, user.id), reason=reason
    )


async def withdraw_consent(
    session: AsyncSession, protocol_id: uuid.UUID, user: User, reason: ReasonIn | None
) -> Protocol:
    return await _act(
        session, protocol_id, user, lambda state, _: rules.withdraw(state, user.id), reason=reason
    )


async def retire(
    session: AsyncSession, protocol_id: uuid.UUID, user: User, reason: ReasonIn | None
) -> Protocol:
    return await _act(
        session, protocol_id, user, lambda state, _: rules.retire(state, user.id), reason=reason
    )


# --- reading ----------------------------------------------------------------------------------


async def get(session: AsyncSession, protocol_id: uuid.UUID, user: User) -> Protocol:
    protocol, _ = await repository.member_protocol(session, protocol_id, user.id)
    return protocol


async def views(
    session: AsyncSession, dynamic_id: uuid.UUID, protocols: list[Protocol]
) -> list[ProtocolPublic]:
    """Build the public views of several protocols of one dynamic with a fixed number of
    queries, whatever their number."""
    if not protocols:
        return []
    ids = [p.id for p in protocols]
    wanted = {current_version(p) for p in protocols} | {
        p.in_force_version for p in protocols if p.in_force_version is not None
    }
    by_key = {
        (v.protocol_id, v.number): v
        for v in await repository.versions(session, ids, numbers=wanted)
    }
    agreements: dict[uuid.UUID, list[ProtocolAgreement]] = {pid: [] for pid in ids}
    for agreement in await _live_for(session, ids):
        agreements[agreement.protocol_id].append(agreement)
    rates = await _adherence(session, dynamic_id, protocols, by_key)
    result = []
    for protocol in protocols:
        shown = current_version(protocol)
        latest = by_key[(protocol.id, shown)]
        in_force = (
            by_key.get((protocol.id, protocol.in_force_version))
            if protocol.in_force_version
            else None
        )
        agreed_version = protocol.open_version or protocol.in_force_version
        agreed_by = sorted(
            (
                a.user_id
                for a in agreements[protocol.id]
                if a.version == agreed_version and a.user_id is not None
            ),
            key=str,
        )
        terms = _terms(latest)
        result.append(
            ProtocolPublic(
                id=protocol.id,
                dynamic_id=protocol.dynamic_id,
                status=Status(protocol.status),
                version=shown,
                pending=protocol.open_version is not None,
                agreed_by=agreed_by,
                version_id=terms.version_id,
                title=terms.title,
                description=terms.description,
                kind=terms.kind,
                performer_ids=terms.performer_ids,
                schedule=terms.schedule,
                reminders=terms.reminders,
                review_on=terms.review_on,
                in_force=_terms(in_force) if in_force else None,
                adherence=rates.get(protocol.id),
                etag=etag(protocol),
                created_by=protocol.created_by,
                created_at=protocol.created_at,
                updated_at=protocol.updated_at,
            )
        )
    return result


async def _live_for(session: AsyncSession, ids: list[uuid.UUID]) -> list[ProtocolAgreement]:
    result = await session.execute(
        select(ProtocolAgreement).where(
            col(ProtocolAgreement.protocol_id).in_(ids),
            col(ProtocolAgreement.withdrawn_at).is_(None),
        )
    )
    return list(result.scalars())


async def _adherence(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    protocols: list[Protocol],
    by_key: dict[tuple[uuid.UUID, int], ProtocolVersion],
) -> dict[uuid.UUID, Adherence]:
    """Adherence over the last 28 days for each protocol that was ever in force with a
    schedule (a suspended one shows its rate frozen): each occurrence is due by the version in
    force at its time, and done by a completion recorded under that version."""
    now = utcnow()
    window_start = now - timedelta(days=ADHERENCE_WINDOW_DAYS)
    ids = [p.id for p in protocols if p.status in IN_FORCE_ONCE]
    if not ids:
        return {}
    zones = {m.id: ZoneInfo(m.timezone) for m in await repository.members(session, dynamic_id)}
    paused = await dynamics_repository.pause_intervals(session, dynamic_id, since=window_start)
    history: dict[uuid.UUID, list[tuple[str, int, datetime]]] = {pid: [] for pid in ids}
    for event in await repository.events(session, ids, actions=set(SPAN_EVENTS)):
        history[event.protocol_id].append((event.action, event.version, event.at))
    spans = {pid: in_force_spans(events) for pid, events in history.items()}
    terms_of = await _with_terms(session, spans, by_key)
    # A completion counts for the version in force when it was recorded.
    done: dict[tuple[uuid.UUID, int], list[tuple[uuid.UUID, datetime]]] = {}
    for completion in await repository.completions_since(session, ids, window_start):
        if completion.user_id is not None:
            done.setdefault((completion.protocol_id, completion.version), []).append(
                (completion.user_id, completion.occurred_at)
            )
    rates = {}
    for pid in ids:
        versions = [
            VersionInForce(
                times=terms.schedule.get("times", []),
                weekdays=terms.schedule.get("weekdays", []),
                performers={
                    uuid.UUID(p): zones[uuid.UUID(p)]
                    for p in terms.performer_ids
                    if uuid.UUID(p) in zones
                },
                in_force=in_force,
                completions=done.get((pid, number), []),
            )
            for number, in_force in spans[pid].items()
            if (terms := terms_of.get((pid, number))) is not None and terms.schedule is not None
        ]
        total = across_versions(versions, paused=paused, window_start=window_start, now=now)
        if total is not None:
            rates[pid] = Adherence(
                window_days=ADHERENCE_WINDOW_DAYS,
                scheduled=total.scheduled,
                done=total.done,
                rate=total.rate,
            )
    return rates


async def _with_terms(
    session: AsyncSession,
    spans: dict[uuid.UUID, dict[int, list[Interval]]],
    by_key: dict[tuple[uuid.UUID, int], ProtocolVersion],
) -> dict[tuple[uuid.UUID, int], ProtocolVersion]:
    """The terms of every version that was in force, by (protocol, number): those already
    loaded, and the older ones read now."""
    terms_of = dict(by_key)
    missing = {(pid, n) for pid, by_number in spans.items() for n in by_number} - set(terms_of)
    if missing:
        for version in await repository.versions(
            session, list({pid for pid, _ in missing}), numbers={n for _, n in missing}
        ):
            terms_of.setdefault((version.protocol_id, version.number), version)
    return terms_of


async def view(session: AsyncSession, protocol: Protocol) -> ProtocolPublic:
    return (await views(session, protocol.dynamic_id, [protocol]))[0]


async def list_views(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ProtocolPublic], str | None]:
    await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    protocols, next_cursor = await repository.protocols_of(
        session, dynamic_id, user.id, status=status, cursor=cursor, limit=limit
    )
    return await views(session, dynamic_id, protocols), next_cursor


async def history(session: AsyncSession, protocol_id: uuid.UUID, user: User) -> ProtocolHistory:
    protocol, _ = await repository.member_protocol(session, protocol_id, user.id)
    all_agreements = (
        await session.execute(
            select(ProtocolAgreement)
            .where(col(ProtocolAgreement.protocol_id) == protocol.id)
            .order_by(col(ProtocolAgreement.agreed_at), col(ProtocolAgreement.id))
        )
    ).scalars()
    by_version: dict[int, list[AgreementPublic]] = {}
    for a in all_agreements:
        by_version.setdefault(a.version, []).append(
            AgreementPublic(user_id=a.user_id, agreed_at=a.agreed_at, withdrawn_at=a.withdrawn_at)
        )
    versions = await repository.versions(session, [protocol.id])
    out: list[VersionHistory] = []
    previous: dict[str, Any] | None = None
    for version in versions:
        terms = _terms(version)
        current = terms.model_dump(mode="json", include=set(TERM_FIELDS))
        changes = (
            None
            if previous is None
            else {
                name: {"from": previous[name], "to": current[name]}
                for name in TERM_FIELDS
                # Sealed words differ in every version: the phone opens and compares them.
                if previous[name] != current[name]
                and not (name in WORDS and _sealed(previous[name], current[name]))
            }
        )
        out.append(
            VersionHistory(
                **terms.model_dump(),
                agreements=by_version.get(version.number, []),
                changes=changes,
            )
        )
        previous = current
    events = [
        EventPublic(
            id=e.id,
            at=e.at,
            actor_id=e.actor_id,
            action=e.action,
            version=e.version,
            reason=e.reason,
        )
        for e in await repository.events(session, [protocol.id])
    ]
    return ProtocolHistory(protocol_id=protocol.id, versions=out, events=events)


# --- follow-through ---------------------------------------------------------------------------


async def complete(
    session: AsyncSession, protocol_id: uuid.UUID, user: User, data: CompletionCreate
) -> Completion:
    protocol, dynamic = await repository.member_protocol(
        session, protocol_id, user.id, for_update=True
    )
    ensure_active(dynamic)
    if protocol.status != Status.active or protocol.in_force_version is None:
        raise conflict("protocol_not_active", "only an active protocol can be completed")
    (terms,) = await repository.versions(
        session, [protocol.id], numbers={protocol.in_force_version}
    )
    if str(user.id) not in terms.performer_ids:
        raise forbidden("not_performer", "only a performer of this protocol records it as done")
    now = utcnow()
    try:
        occurred_at = check_client_time(data.occurred_at, now)
    except ClientTimeError as error:
        raise AppError(422, "occurred_at_out_of_range", str(error)) from None
    private = await keys_repository.has_pair_key(session, dynamic.id)
    check_words(private=private, entity_id=data.id, fields={"note": data.note})
    completion = Completion(
        id=data.id or uuid.uuid4(),
        protocol_id=protocol.id,
        dynamic_id=protocol.dynamic_id,
        version=protocol.in_force_version,
        user_id=user.id,
        occurred_at=occurred_at,
        note=to_column(data.note),
    )
    session.add(completion)
    await session.flush()
    await sync.in_dynamic(session, dynamic.id, COMPLETION, completion.id)
    # Its adherence counts the completion.
    await sync.in_dynamic(session, dynamic.id, PROTOCOL, protocol.id)
    await notify(
        session,
        recipients=[m.id for m in await repository.members(session, dynamic.id)],
        kind=NotificationKind.completion_recorded,
        dynamic_id=dynamic.id,
        actor_id=user.id,
        data={"protocol_id": str(protocol.id), "completion_id": str(completion.id)},
    )
    return completion


async def acknowledge(
    session: AsyncSession, completion_id: uuid.UUID, user: User, note: str | Envelope | None
) -> Completion:
    completion, dynamic = await repository.member_completion(
        session, completion_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    if completion.user_id == user.id:
        raise forbidden("own_completion", "acknowledgement comes from the other member")
    if completion.acknowledged_at is not None:
        raise conflict("already_acknowledged", "this completion was already acknowledged")
    # The note's envelope is bound to the completion: completion:<id>:acknowledgement_note.
    private = await keys_repository.has_pair_key(session, dynamic.id)
    check_words(private=private, entity_id=completion.id, fields={"note": note})
    claimed = await session.execute(
        update(Completion)
        .where(col(Completion.id) == completion.id, col(Completion.acknowledged_at).is_(None))
        .values(
            acknowledged_at=utcnow(), acknowledged_by=user.id, acknowledgement_note=to_column(note)
        )
        .execution_options(synchronize_session="fetch")
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict("already_acknowledged", "this completion was already acknowledged")
    await session.refresh(completion)
    await sync.in_dynamic(session, dynamic.id, COMPLETION, completion.id)
    if completion.user_id is not None:
        await notify(
            session,
            recipients=[completion.user_id],
            kind=NotificationKind.completion_acknowledged,
            dynamic_id=dynamic.id,
            actor_id=user.id,
            data={"protocol_id": str(completion.protocol_id), "completion_id": str(completion.id)},
        )
    return completion


async def list_completions(
    session: AsyncSession, protocol_id: uuid.UUID, user: User, *, cursor: str | None, limit: int
) -> tuple[list[Completion], str | None]:
    protocol, _ = await repository.member_protocol(session, protocol_id, user.id)
    return await repository.completions_page(
        session, protocol.id, user.id, cursor=cursor, limit=limit
    )


async def export_for(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Every protocol of the user's dynamics (ended ones too): its terms, history and
    completions, as both members see them."""
    dynamic_ids = (
        await session.execute(
            select(Membership.dynamic_id).where(col(Membership.user_id) == user.id)
        )
    ).scalars()
    exported: list[dict[str, Any]] = []
    for dynamic_id in list(dynamic_ids):
        protocols = list(
            (
                await session.execute(
                    select(Protocol)
                    .where(col(Protocol.dynamic_id) == dynamic_id)
                    .order_by(col(Protocol.created_at), col(Protocol.id))
                )
            ).scalars()
        )
        for protocol, public in zip(
            protocols, await views(session, dynamic_id, protocols), strict=True
        ):
            completions = (
                await session.execute(
                    select(Completion)
                    .where(col(Completion.protocol_id) == protocol.id)
                    .order_by(col(Completion.occurred_at), col(Completion.id))
                )
            ).scalars()
            exported.append(
                {
                    **public.model_dump(mode="json"),
                    "history": (await history(session, protocol.id, user)).model_dump(mode="json"),
                    "completions": [
                        CompletionPublic.model_validate(c).model_dump(mode="json")
                        for c in completions
                    ],
                }
            )
    return exported
