"""Feature pipelines of ecocast: history, calendar, meteorological fields, emissions.

Every feature family is a pure function over long-format history, ``xarray`` fields or
inventories, and sees nothing that was unknown at the issue time.
"""

# Python's own SQLite must load before eccodes' bundled one (see forecasting/__init__.py).
import forecasting  # noqa: F401
