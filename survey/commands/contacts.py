from __future__ import annotations

import click


@click.group()
def contacts() -> None:
    """Closed customer contacts."""
