"""Command groups of the `survey` CLI."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from survey.config import ConfigError
from survey.context import Context
from survey.startup import start_context

F = TypeVar("F", bound=Callable[..., Any])


def with_context(func: F) -> F:
    """Build the context (settings validated once) and pass it as the first argument."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            ctx = start_context()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            return func(ctx, *args, **kwargs)
        finally:
            ctx.store.dispose()

    return wrapper  # type: ignore[return-value]


__all__ = ["Context", "with_context"]
