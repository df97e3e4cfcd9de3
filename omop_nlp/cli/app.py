"""The Typer app and the error handling every command shares.

Every error a user can fix ends the command with one line on stderr and exit code 2: an
``OmopNlpError`` raised anywhere below, and Typer's own usage errors (a missing or unknown
option, a value out of range, an unknown command), caught through ``typer.TyperException``
without importing click. The line carries the error's stable code, spaCy-style
(``error: [E302] ...``), so a site can search the docs and the tracker for it.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

from omop_nlp import NAME, __version__
from omop_nlp.errors import InternalError, OmopNlpError, UsageError

USAGE_EXIT = 2
app = typer.Typer(
    name=NAME,
    help="Structured findings from chest CT and brain MRI reports in an OMOP CDM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> NoReturn:
    """Stop the command: ``message`` as one line, exit 2."""
    raise UsageError(message)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{NAME} {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                          help="print the version and exit")] = False,
) -> None:
    """Structured findings from chest CT and brain MRI reports in an OMOP CDM."""


def _register_commands() -> None:
    # Imported for their @app.command side effect.
    from omop_nlp.cli import bert, db, demo, fhir, files, report, spark  # noqa: F401


def _error(message: str, code: int) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    sys.exit(code)


def main() -> None:
    _register_commands()
    try:
        code = app(standalone_mode=False)  # Typer returns typer.Exit's code here instead of raising
        if isinstance(code, int) and code:
            sys.exit(code)
    except InternalError as exc:  # a bug of omop-nlp: one line, and please report it
        _error(f"[{exc.code}] {exc}; please report this", 1)
    except OmopNlpError as exc:
        _error(f"[{exc.code}] {exc}", USAGE_EXIT)
    except typer.TyperException as exc:  # Typer's usage errors (its vendored click), one line
        _error(f"[{UsageError.code}] {exc.format_message().strip().splitlines()[-1]}", USAGE_EXIT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
