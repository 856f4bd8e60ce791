"""``ecocast aqi``: daily or real-time AQI of an hourly observation file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecasting.air_table import read_air_table
from forecasting.aqi import check_aqi_options, daily_aqi, hourly_aqi
from forecasting.atomic import write_table_atomically
from forecasting.cli.console import make_console

__all__ = ["aqi"]


def aqi(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Hourly observations (CSV, CSV.GZ or Parquet).")
    ],
    *,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    hourly: Annotated[
        bool, typer.Option("--hourly", help="Real-time AQI per station-hour instead of daily.")
    ] = False,
    edition: Annotated[
        str | None,
        typer.Option(help="HJ 633 edition: hj633-2012 or hj633-2026 (default: by date)."),
    ] = None,
    scheme: Annotated[
        str, typer.Option(help="Index: hj633 (China) or us-epa-2024 (US EPA AQI, daily).")
    ] = "hj633",
    unit: Annotated[
        list[str] | None,
        typer.Option(
            "--unit",
            help="Declared unit of a pollutant column, VAR=UNIT (e.g. co=mg/m3); "
            "default: the UCI Beijing layout, all ug/m3.",
        ),
    ] = None,
    tz: Annotated[
        str, typer.Option("--tz", help="IANA time zone whose local dates make the days.")
    ] = "Asia/Shanghai",
) -> None:
    """Daily AQI per station-day (or real-time AQI per station-hour) of an observation file."""
    scheme_, edition_ = check_aqi_options(scheme, edition, hourly=hourly)
    frame = read_air_table(input_file, units=unit or None, tz=tz)
    if hourly:
        result = hourly_aqi(frame, edition=edition_)
    else:
        result = daily_aqi(frame, scheme=scheme_, edition=edition_)
    write_table_atomically(result, output, float_format="%.6g")
    what = "station-hours" if hourly else "station-days"
    make_console(stderr=True).print(f"wrote {len(result):,} {what} to {output}")
