"""Business errors; the edges (API, CLI, pages) turn them into answers."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out; the message says why to the person who can act."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass
