"""ecocast: air- and water-quality forecasting and early warning.

The ``forecasting`` package is the domain core: standards, types, pipeline,
storage and the command-line interface.
"""

# Load Python's own SQLite before any library that bundles an older one (eccodes, through
# cfgrib and xarray, ships SQLite 3.26, which lacks ``RETURNING``): whichever loads first
# is the one every later ``sqlite3`` connection uses.
import sqlite3  # noqa: F401  # isort: skip
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecocast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
