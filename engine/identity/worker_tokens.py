"""Worker tokens: ordinary API tokens of a `worker` account, scoped to external-task topics.

The office is the account's; the topics are stored per token (`api_token_topic`), so one worker
account can hold a token per deployment, each naming only the topics that deployment serves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import UserProblem
from engine.identity.users import _hash, issue_token
from engine.policy import Role
from engine.store.models import ApiToken, ApiTokenTopic, User, UserRole

MAX_TOPIC_LENGTH = 200


def issue_worker_token(
    session: Session, username: str, topics: Iterable[str], *, now: datetime, ttl: timedelta
) -> str:
    """A token for a `worker` account that fetches only `topics` ("*" for every topic)."""
    wanted = sorted({t.strip() for t in topics if t.strip()})
    if not wanted:
        raise UserProblem("name at least one topic (or * for every topic)")
    if any(len(t) > MAX_TOPIC_LENGTH for t in wanted):
        raise UserProblem(f"a topic has at most {MAX_TOPIC_LENGTH} characters")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserProblem(f"no user {username!r}")
    roles = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    if Role.WORKER.value not in roles:
        raise UserProblem(f"user {username!r} does not have the worker role")
    token = issue_token(session, username, now=now, ttl=ttl)
    session.flush()
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == _hash(token)))
    session.add_all(ApiTokenTopic(token_id=token_id, topic=topic) for topic in wanted)
    return token


def token_topics(session: Session, token: str) -> frozenset[str]:
    """The topics a token may fetch (empty for tokens that are not worker tokens)."""
    rows = session.scalars(
        select(ApiTokenTopic.topic)
        .join(ApiToken, ApiToken.id == ApiTokenTopic.token_id)
        .where(ApiToken.token_hash == _hash(token))
    )
    return frozenset(rows)
