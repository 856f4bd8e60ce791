"""Standards library: AQI (HJ 633, US EPA), GB 3095 statistics, warnings, GB 3838, TLI, HJ 212.

Every table is a data file in ``forecasting/standards/data/`` that carries its citation
(:mod:`forecasting.standards.tables`); functions take the loaded table as an argument
and results carry the id of the table that produced them.

Modules
-------
aqi_hj633
    HJ 633—2012 and HJ 633—2026: IAQI, AQI, levels, primary pollutants, daily and
    real-time AQI; the edition follows the date of the data.
aqi_us_epa, nowcast_us_epa, units
    US EPA AQI (EPA-454/B-24-002, 2024), NowCast, µg/m³ ↔ ppb/ppm.
gb3095
    GB 3095 data validity and statistics (24-h means, MDA8, daily maxima, moving means,
    annual percentiles), vectorised over many stations.
early_warning, warning_schemes
    Heavy-pollution warning schemes (national 2024, 2018, 2017; local variants in files).
gb3838, trophic
    GB 3838-2002 classes, the 2011 single-factor assessment, and the lake TLI(Σ).
hj212
    HJ 212-2017 packets: parse, build, the standard's CRC, flags and codes.
"""

from forecasting.standards.aqi_hj633 import (
    HJ633_EDITIONS,
    Hj633Edition,
    daily_aqi_hj633,
    edition_for_dates,
    hourly_aqi_hj633,
    iaqi_hj633,
    load_hj633,
)
from forecasting.standards.aqi_us_epa import aqi_us_epa, daily_aqi_us_epa, load_us_epa_aqi
from forecasting.standards.early_warning import (
    assess_warnings,
    available_warning_schemes,
    load_warning_scheme,
)
from forecasting.standards.gb3095 import daily_statistics, load_gb3095, moving_mean
from forecasting.standards.gb3838 import class_gb3838, exceedance_factor, overall_class_2011
from forecasting.standards.hj212 import build_packet, parse_packet
from forecasting.standards.tables import (
    BreakpointTable,
    Citation,
    available_standards,
    piecewise_linear_index,
    read_standard,
    read_standard_file,
)
from forecasting.standards.trophic import tli, trophic_grade
from forecasting.standards.units import convert_units

__all__ = [
    "HJ633_EDITIONS",
    "BreakpointTable",
    "Citation",
    "Hj633Edition",
    "aqi_us_epa",
    "assess_warnings",
    "available_standards",
    "available_warning_schemes",
    "build_packet",
    "class_gb3838",
    "convert_units",
    "daily_aqi_hj633",
    "daily_aqi_us_epa",
    "daily_statistics",
    "edition_for_dates",
    "exceedance_factor",
    "hourly_aqi_hj633",
    "iaqi_hj633",
    "load_gb3095",
    "load_hj633",
    "load_us_epa_aqi",
    "load_warning_scheme",
    "moving_mean",
    "overall_class_2011",
    "parse_packet",
    "piecewise_linear_index",
    "read_standard",
    "read_standard_file",
    "tli",
    "trophic_grade",
]
