"""API keys (SPEC section 6): an actor's key or an organisation key, each with scopes; shown
once, stored only as a hash, listed and revoked by the prefix it carries."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.actors import get_actor
from survey.accounts.audit_log import audit
from survey.errors import Conflict, NotFound
from survey.models import Actor, ApiKey, ApiScope

KEY_PREFIX = "sk_"
ACTOR_DEFAULT_SCOPES = (ApiScope.contacts, ApiScope.opt_outs)
# Who may hold what: a contact belongs to an actor, so only an actor's key sends contacts; the
# customers' data (export, erasure) is the organisation's alone.
ACTOR_ONLY = frozenset({ApiScope.contacts})
ORGANISATION_ONLY = frozenset({ApiScope.privacy})


def hash_api_key(key: str) -> str:
    # API keys carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyHolder:
    """Who stands behind a valid key, and what it may do."""

    prefix: str
    scopes: frozenset[str]
    actor_id: int | None
    actor_name: str | None
    label: str | None

    @property
    def is_organisation(self) -> bool:
        return self.actor_id is None

    @property
    def owner(self) -> str:
        return owner_name(self.actor_name, self.label)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class KeyInfo:
    """One key as `survey apikeys list` shows it (never the key itself)."""

    prefix: str
    owner: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "owner": self.owner,
            "scopes": list(self.scopes),
            "created": self.created_at.isoformat(),
            "revoked": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def parse_scopes(names: Iterable[str]) -> tuple[ApiScope, ...]:
    """Scope names as given (command line), checked, without repeats, in a stable order."""
    known = {s.value: s for s in ApiScope}
    found: set[ApiScope] = set()
    for name in names:
        if name.strip() not in known:
            raise Conflict(f"unknown scope {name!r}; choose from {', '.join(known)}")
        found.add(known[name.strip()])
    return tuple(s for s in ApiScope if s in found)


def create_api_key(
    session: Session, *, actor_name: str, who: str, scopes: Iterable[str] = ()
) -> str:
    """A key for an actor (scopes contacts and opt-outs unless given); only its hash is kept."""
    actor = get_actor(session, name=actor_name)
    chosen = parse_scopes(scopes) or ACTOR_DEFAULT_SCOPES
    refused = ORGANISATION_ONLY.intersection(chosen)
    if refused:
        raise Conflict(
            f"an actor's key cannot hold the scope {_names(refused)}: "
            "only organisation keys may (survey apikeys create --organisation)"
        )
    assert actor.id is not None
    return _issue(session, chosen, who=who, actor_id=actor.id, actor_name=actor.name)


def create_organisation_key(
    session: Session, *, label: str, scopes: Iterable[str], who: str
) -> str:
    """A key of the organisation, with no actor; at least one scope must be named."""
    label = label.strip()
    if not label or len(label) > 100:
        raise Conflict("an organisation key needs a name (--name) of at most 100 characters")
    chosen = parse_scopes(scopes)
    if not chosen:
        raise Conflict("name the organisation key's scopes (--scope), e.g. --scope reports")
    refused = ACTOR_ONLY.intersection(chosen)
    if refused:
        raise Conflict(
            f"an organisation key cannot hold the scope {_names(refused)}: "
            "contacts are sent with the handling actor's key"
        )
    return _issue(session, chosen, who=who, label=label)


def _issue(
    session: Session,
    scopes: Iterable[ApiScope],
    *,
    who: str,
    actor_id: int | None = None,
    actor_name: str | None = None,
    label: str | None = None,
) -> str:
    """Store a new key's hash, audited; commits; the key, to be shown once."""
    prefix = secrets.token_hex(4)
    while session.execute(select(col(ApiKey.id)).where(col(ApiKey.prefix) == prefix)).first():
        prefix = secrets.token_hex(4)  # the prefix names the key in list and revoke
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    text = " ".join(s.value for s in scopes)
    session.add(
        ApiKey(
            actor_id=actor_id, label=label, scopes=text, prefix=prefix, key_hash=hash_api_key(key)
        )
    )
    owner = owner_name(actor_name, label)
    audit(session, who=who, action="apikey.create", subject=owner, prefix=prefix, scopes=text)
    session.commit()
    return key


def key_holder(session: Session, key: str) -> KeyHolder | None:
    """The owner and scopes of a key that exists and is not revoked, else None."""
    found = session.execute(
        select(ApiKey, col(Actor.name))
        .outerjoin(Actor, col(Actor.id) == col(ApiKey.actor_id))
        .where(col(ApiKey.key_hash) == hash_api_key(key), col(ApiKey.revoked_at).is_(None))
    ).one_or_none()
    if found is None:
        return None
    row, actor_name = found
    return KeyHolder(
        prefix=row.prefix,
        scopes=frozenset(row.scopes.split()),
        actor_id=row.actor_id,
        actor_name=actor_name,
        label=row.label,
    )


def list_api_keys(session: Session) -> list[KeyInfo]:
    """Every key, oldest first, revoked ones too."""
    rows = session.execute(
        select(ApiKey, col(Actor.name))
        .outerjoin(Actor, col(Actor.id) == col(ApiKey.actor_id))
        .order_by(col(ApiKey.created_at), col(ApiKey.id))
    ).all()
    return [_info(row, actor_name) for row, actor_name in rows]


def revoke_api_key(session: Session, *, prefix: str, who: str, now: datetime) -> KeyInfo:
    """Revoke the key with this prefix (`sk_` may be given); it fails at once; audited; commits."""
    prefix = prefix.strip().removeprefix(KEY_PREFIX).split("_", 1)[0]
    found = session.execute(
        select(ApiKey, col(Actor.name))
        .outerjoin(Actor, col(Actor.id) == col(ApiKey.actor_id))
        .where(col(ApiKey.prefix) == prefix)
    ).one_or_none()
    if found is None:
        raise NotFound(f"no API key with the prefix {prefix!r}; see `survey apikeys list`")
    row, actor_name = found
    if row.revoked_at is not None:
        raise Conflict(f"the key {prefix} was revoked already, at {row.revoked_at.isoformat()}")
    row.revoked_at = now
    info = _info(row, actor_name)
    audit(session, who=who, action="apikey.revoke", subject=info.owner, prefix=prefix)
    session.commit()
    return info


def owner_name(actor_name: str | None, label: str | None) -> str:
    """`actor:<name>` or `organisation:<label>`: a key's owner in lists and audit entries."""
    return f"actor:{actor_name}" if label is None else f"organisation:{label}"


def _info(row: ApiKey, actor_name: str | None) -> KeyInfo:
    owner = owner_name(actor_name, row.label)
    return KeyInfo(row.prefix, owner, tuple(row.scopes.split()), row.created_at, row.revoked_at)


def _names(scopes: Iterable[ApiScope]) -> str:
    return ", ".join(sorted(s.value for s in scopes))
