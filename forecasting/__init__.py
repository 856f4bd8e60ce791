"""ecocast: air- and water-quality forecasting and early warning.

The ``forecasting`` package is the domain core: standards, types, pipeline,
storage and the command-line interface.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecocast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
