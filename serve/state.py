"""What one app instance holds: its settings, its store and its caches.

:func:`serve.app.create_app` builds one :class:`ApiState` and keeps it on
``app.state.api``; routes reach it through :func:`serve.deps.get_state`. Nothing
lives at module level, so two apps (two tests, two stores) never share a cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field

from forecasting.config import Settings
from forecasting.storage import Store
from forecasting.storage.issuance import RunInfo
from serve.caching import CachedBody, LatestRunCache, ResponseCache

__all__ = ["ApiState"]


@dataclass
class ApiState:
    """Per-app state.

    Attributes
    ----------
    settings : forecasting.config.Settings
        Runtime settings.
    store : forecasting.storage.Store
        The open store (one connection pool per app).
    owns_store : bool
        Whether the app opened the store and closes it on shutdown.
    responses : ResponseCache
        Serialized bodies about published runs, keyed by route, run id, version
        and parameters.
    latest_run : LatestRunCache
        The latest published air run (or None), remembered for a few seconds.
    building : dict
        Bodies being built, by cache key (used on the event loop only), so that
        concurrent requests for one body wait for one build.
    """

    settings: Settings
    store: Store
    owns_store: bool = False
    responses: ResponseCache = field(default_factory=ResponseCache)
    latest_run: LatestRunCache[RunInfo | None] = field(default_factory=LatestRunCache)
    building: dict[Hashable, asyncio.Future[CachedBody]] = field(default_factory=dict)

    def forget_published(self) -> None:
        """Forget the latest published run (after the app published or revised one)."""
        self.latest_run.invalidate()
