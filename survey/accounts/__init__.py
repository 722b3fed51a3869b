"""Actors and their API keys, admin users, and the audit log."""

from __future__ import annotations

from survey.accounts.actors import create_actor, get_actor
from survey.accounts.api_keys import (
    KEY_PREFIX,
    KeyHolder,
    KeyInfo,
    create_api_key,
    create_organisation_key,
    hash_api_key,
    key_holder,
    list_api_keys,
    revoke_api_key,
)
from survey.accounts.audit_log import audit, audit_entries
from survey.accounts.users import (
    active_user,
    authenticate,
    create_user,
    deactivate_user,
    log_in,
    log_out,
)

__all__ = [
    "KEY_PREFIX",
    "KeyHolder",
    "KeyInfo",
    "active_user",
    "audit",
    "audit_entries",
    "authenticate",
    "create_actor",
    "create_api_key",
    "create_organisation_key",
    "create_user",
    "deactivate_user",
    "get_actor",
    "hash_api_key",
    "key_holder",
    "list_api_keys",
    "log_in",
    "log_out",
    "revoke_api_key",
]
