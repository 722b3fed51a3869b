"""Command groups of the `survey` CLI."""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from survey.config import ConfigError
from survey.context import Context, build_context
from survey.startup import start_context

F = TypeVar("F", bound=Callable[..., Any])


def cli_who() -> str:
    return f"cli:{os.environ.get('USER') or getpass.getuser()}"


def warn(message: str) -> None:
    click.echo(f"survey: warning: {message}", err=True)


def _passing_context(make: Callable[[], Context]) -> Callable[[F], F]:
    """A decorator that builds the context with `make`, passes it as the first argument and
    disposes of its store afterwards; a configuration error is the command's error."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                ctx = make()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
            try:
                return func(ctx, *args, **kwargs)
            finally:
                ctx.store.dispose()

        return wrapper  # type: ignore[return-value]

    return decorate


# Build the context (settings validated once, the policy and the sampling secret checked
# against the database's) and pass it as the first argument.
with_context = _passing_context(lambda: start_context(who=cli_who(), warn=warn))

# Build the context without looking at the database: for the commands that must run on a
# database without the schema (`survey db upgrade`) or whose sampling secret is not yet the
# one in force (`survey audit rotate-secret`).
with_settings = _passing_context(build_context)


__all__ = ["Context", "cli_who", "warn", "with_context", "with_settings"]
