"""``ecocast standards list|show``: the shipped standards tables and their citations."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from forecasting.cli.console import make_console
from forecasting.standards.tables import available_standards, read_standard

__all__ = ["standards_app"]

standards_app = typer.Typer(no_args_is_help=True, help="Standards tables and their citations.")


@standards_app.command("list")
def list_standards() -> None:
    """List every standards table with its document, table and reading status."""
    table = Table("id", "document", "table", "status")
    for standard_id in available_standards():
        source, _ = read_standard(standard_id)
        table.add_row(source.id, source.document, source.table, source.status)
    make_console().print(table)


@standards_app.command("show")
def show_standard(
    standard_id: Annotated[str, typer.Argument(metavar="ID", help="A table id from `list`.")],
) -> None:
    """Show the full citation of one standards table."""
    source, _ = read_standard(standard_id)
    console = make_console()
    for name, value in vars(source).items():
        if value:
            console.print(f"[bold]{name}[/]: {value}", highlight=False)
