"""Copies of words in a review, sealed with their originals.

A review keeps what it was built from: each vote holds the title of the protocol's version as it
was then, and the agenda's sentences name protocols by their titles and repeat the needs still
waiting. Words in clear there were copied before the dynamic's words became private; when the
one-time encryption seals the originals (``app/keys/migration.py``), the copies go the same way
here: a vote's title becomes the version's envelope, and the agenda names the protocol and the
need as it does for words it cannot read.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.envelopes import stored_words
from app.protocols.models import ProtocolVersion
from app.reviews.models import REVIEW, Review, ReviewAnswer
from app.reviews.rules import SEALED_PROTOCOL
from app.reviews.service import OWN_WORDS
from app.sync import record as sync

# The agenda's sentence of needs still waiting (``rules._needs_items``).
_NEEDS = re.compile(
    r"^(?P<lead>.+? asked for )(?P<needs>.+)"
    r"(?P<tail> (once|in \d+ check-ins), and is still waiting\.)$"
)


async def scrub(session: AsyncSession, dynamic_id: uuid.UUID, texts: list[str]) -> None:
    """Seal or drop the copies of ``texts``, words just sealed in the dynamic."""
    sealed = set(texts)
    if not sealed:
        return
    changed: set[uuid.UUID] = set()
    titles = await _version_titles(session, dynamic_id)
    answers = await session.execute(
        select(ReviewAnswer).where(col(ReviewAnswer.dynamic_id) == dynamic_id)
    )
    for answer in answers.scalars():
        votes = [_vote(vote, sealed, titles) for vote in answer.protocols]
        if votes != answer.protocols:
            answer.protocols = votes
            session.add(answer)
            changed.add(answer.review_id)
    reviews = await session.execute(
        select(Review).where(col(Review.dynamic_id) == dynamic_id, col(Review.agenda).is_not(None))
    )
    for review in reviews.scalars():
        agenda = [_item(item, sealed) for item in review.agenda or []]
        if agenda != review.agenda:
            review.agenda = agenda
            session.add(review)
            changed.add(review.id)
    await session.flush()
    for review_id in sorted(changed):
        await sync.in_dynamic(session, dynamic_id, REVIEW, review_id)


async def _version_titles(session: AsyncSession, dynamic_id: uuid.UUID) -> dict[str, Any]:
    rows = await session.execute(
        select(ProtocolVersion.id, ProtocolVersion.title).where(
            col(ProtocolVersion.dynamic_id) == dynamic_id
        )
    )
    return {str(version_id): title for version_id, title in rows.all()}


def _vote(vote: dict[str, Any], sealed: set[str], titles: dict[str, Any]) -> dict[str, Any]:
    title = vote.get("title")
    if not isinstance(title, str) or title not in sealed:
        return vote
    # The version's own envelope: the same words, sealed for the same record. Where the version
    # is still in clear (the same words were sealed elsewhere), the copy waits for its version.
    envelope = stored_words(titles.get(str(vote.get("version_id")), ""))
    return {**vote, "title": envelope} if envelope is not None else vote


def _item(item: dict[str, Any], sealed: set[str]) -> dict[str, Any]:
    text = item.get("text")
    if not isinstance(text, str):
        return item
    for words in sealed:
        text = text.replace(f"“{words}”", SEALED_PROTOCOL)
    if item.get("kind") == "needs":
        text = _needs(text, sealed)
    return item if text == item["text"] else {**item, "text": text}


def _needs(text: str, sealed: set[str]) -> str:
    found = _NEEDS.match(text)
    if found is None:
        return text
    needs = [OWN_WORDS if need in sealed else need for need in found["needs"].split(", ")]
    joined = ", ".join(dict.fromkeys(needs))
    for words in sealed:  # a need with ", " in its own words
        joined = joined.replace(words, OWN_WORDS)
    return f"{found['lead']}{joined}{found['tail']}"
