"""The Typer app and the error handling every command shares."""

from __future__ import annotations

import sys

import typer

from omop_nlp.rules import MODALITIES

app = typer.Typer(
    name="omop-nlp",
    help="Structured findings from chest CT and brain MRI reports in an OMOP CDM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class UserError(Exception):
    """An error the user can fix: printed as one line, exit code 2, never a traceback."""


def fail(message: str) -> None:
    raise UserError(message)


def check_modality(modality: str) -> None:
    """The --modality of extract and run: auto or a known modality."""
    if modality != "auto" and modality not in MODALITIES:
        fail(f"unknown modality {modality!r}: use auto, {', '.join(MODALITIES)}")


def _register_commands() -> None:
    # Imported for their @app.command side effect.
    from omop_nlp.cli import bert, db, demo, fhir, files, report, spark  # noqa: F401


def main() -> None:
    _register_commands()
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code here instead of raising
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
