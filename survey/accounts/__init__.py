"""Actors and their API keys, admin users, and the audit log."""

from __future__ import annotations

from survey.accounts.actors import (
    KEY_PREFIX,
    actor_for_api_key,
    create_actor,
    create_api_key,
    get_actor,
    hash_api_key,
)
from survey.accounts.audit_log import audit, audit_entries
from survey.accounts.users import active_user, authenticate, create_user, log_in

__all__ = [
    "KEY_PREFIX",
    "active_user",
    "actor_for_api_key",
    "audit",
    "audit_entries",
    "authenticate",
    "create_actor",
    "create_api_key",
    "create_user",
    "get_actor",
    "hash_api_key",
    "log_in",
]
