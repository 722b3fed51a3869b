from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from survey.commands import Context, cli_who, with_context
from survey.errors import ServiceError
from survey.intake.csv_import import (
    CsvFormatError,
    ImportInterrupted,
    ImportSummary,
    import_csv,
)

# Exit codes (README): 0 imported (rejected lines are listed in the reject file), 1 the file
# or actor was refused and nothing was imported, 2 a usage error, 3 the database failed part
# way: what was committed stays and running the same command again resumes.
EXIT_INTERRUPTED = 3


@click.group()
def contacts() -> None:
    """Closed customer contacts."""


@contacts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", "actor_name", required=True, help="The actor that handled them.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where rejected lines go (default: FILE.rejects.csv).",
)
@click.option("--batch-size", default=2000, show_default=True)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    help="Processes that parse and validate while this one writes (0: none).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_context
def import_(
    ctx: Context,
    file: Path,
    actor_name: str,
    rejects: Path | None,
    batch_size: int,
    workers: int,
    quiet: bool,
) -> None:
    """Import a CSV of closed contacts (idempotent: a re-run imports nothing twice)."""
    with tqdm(
        total=file.stat().st_size, unit="B", unit_scale=True, disable=quiet, desc="importing"
    ) as bar:
        try:
            summary = import_csv(
                ctx,
                file,
                actor_name=actor_name,
                reject_path=rejects,
                batch_size=batch_size,
                workers=workers,
                progress=bar.update,
                who=cli_who(),
            )
        except (CsvFormatError, ServiceError) as exc:
            raise click.ClickException(str(exc)) from None
        except ImportInterrupted as exc:
            bar.close()
            _report(exc.summary)
            click.echo(f"Error: {exc}", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    _report(summary)


def _report(summary: ImportSummary) -> None:
    click.echo(
        f"imported {summary.imported}, duplicates {summary.duplicates}, rejected {summary.rejected}"
    )
    if summary.reject_file:
        click.echo(f"rejected lines with reasons: {summary.reject_file}")
