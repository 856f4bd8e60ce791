"""HTTP caching: entity tags, ``Cache-Control``, 304 answers and the app's response caches.

Every public GET answers with a strong ``ETag`` (a hash of the body) and
``Cache-Control: public, max-age=60``; a request whose ``If-None-Match`` names
the current tag gets ``304 Not Modified`` without a body [1]_.

Published runs never change, so the serialized body of a response about a
published run is a pure function of (route, run id, version, parameters).
:class:`ResponseCache` keeps those bodies with their tags (least recently used
out first), and :class:`LatestRunCache` remembers which run is the latest
published one for a few seconds, so that the hot path (the latest forecast of
one station) is a dictionary look-up. Both belong to one app instance
(:class:`serve.state.ApiState`); publishing through the app clears the latest
run at once, and a publication by another process is seen after at most
:data:`LATEST_RUN_TTL_S`.

References
----------
.. [1] RFC 9110, HTTP Semantics, §8.8.3 (ETag), §13.1.2 (If-None-Match) and
   §15.4.5 (304 Not Modified); RFC 9111, HTTP Caching, §5.2 (Cache-Control).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from fastapi import Request, Response

__all__ = [
    "CACHE_PUBLIC",
    "CACHE_NO_STORE",
    "LATEST_RUN_TTL_S",
    "CachedBody",
    "LatestRunCache",
    "ResponseCache",
    "body_response",
    "cached_body",
    "etag_matches",
    "etag_of",
]

CACHE_PUBLIC: Final = "public, max-age=60"
"""``Cache-Control`` of public data (forecasts, stations, observations) [s]."""
CACHE_NO_STORE: Final = "no-store"
"""``Cache-Control`` of health and of the forecaster endpoints."""
LATEST_RUN_TTL_S: Final = 5.0
"""How long the app trusts its memory of the latest published run [s]."""
DEFAULT_MAX_ENTRIES: Final = 1024
"""Bodies kept by a :class:`ResponseCache`: a station's hourly body (6 pollutants × 80
leads) is about 54 kB, so at most about 55 MB."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class CachedBody:
    """A serialized response body and its entity tag.

    Attributes
    ----------
    body : bytes
        The body, UTF-8 JSON.
    etag : str
        Strong entity tag, quoted (``'"…"'``).
    media_type : str
        ``Content-Type`` of the body.
    """

    body: bytes
    etag: str
    media_type: str = "application/json"


def etag_of(body: bytes) -> str:
    """Return the strong entity tag of a body: a quoted 128-bit BLAKE2b hash.

    Examples
    --------
    >>> etag_of(b"{}")
    '"2afb9b83f9314e5d029766197f539792"'
    """
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def cached_body(body: bytes, media_type: str = "application/json") -> CachedBody:
    """Wrap a body with its entity tag."""
    return CachedBody(body=body, etag=etag_of(body), media_type=media_type)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Tell whether an ``If-None-Match`` header names ``etag``.

    Weak comparison, as RFC 9110 §13.1.2 prescribes for ``If-None-Match``:
    ``W/"x"`` matches ``"x"``; ``*`` matches any current representation.

    Examples
    --------
    >>> etag_matches('W/"a", "b"', '"a"'), etag_matches('"b"', '"a"'), etag_matches("*", '"a"')
    (True, False, True)
    """
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def body_response(
    request: Request, cached: CachedBody, cache_control: str = CACHE_PUBLIC
) -> Response:
    """Answer a GET with ``cached``: 304 when the client holds it, else 200.

    Parameters
    ----------
    request : fastapi.Request
        The request (its ``If-None-Match`` header is read).
    cached : CachedBody
        The body and its tag.
    cache_control : str, optional
        ``Cache-Control`` value; default :data:`CACHE_PUBLIC`.

    Returns
    -------
    fastapi.Response
        ``304 Not Modified`` with the tag and no body, or ``200 OK`` with both.
    """
    headers = {"ETag": cached.etag, "Cache-Control": cache_control}
    if etag_matches(request.headers.get("if-none-match"), cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=cached.body, media_type=cached.media_type, headers=headers)


class ResponseCache:
    """Serialized bodies keyed by what determines them; least recently used out first.

    Keys must include the run id and version of every run the body shows, so
    that a key never names two different bodies. Safe to use from the event
    loop and from worker threads at once.

    Parameters
    ----------
    max_entries : int, optional
        Bodies kept; default :data:`DEFAULT_MAX_ENTRIES`.
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self._max = max_entries
        self._items: OrderedDict[Hashable, CachedBody] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> CachedBody | None:
        """Return the body stored under ``key``, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: CachedBody) -> CachedBody:
        """Store ``value`` under ``key`` and return it."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every body."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class LatestRunCache(Generic[_T]):
    """Remember a value (the latest published run) for ``ttl_s`` seconds.

    Parameters
    ----------
    ttl_s : float, optional
        Time to live [s]; default :data:`LATEST_RUN_TTL_S`.
    clock : callable, optional
        Monotonic clock [s]; default :func:`time.monotonic`.
    """

    def __init__(
        self, ttl_s: float = LATEST_RUN_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._value: tuple[_T, float] | None = None
        self._lock = threading.Lock()

    def peek(self) -> tuple[bool, _T | None]:
        """Return ``(True, value)`` while the value is fresh, else ``(False, None)``."""
        with self._lock:
            held = self._value
        if held is None or self._clock() - held[1] > self._ttl:
            return False, None
        return True, held[0]

    def set(self, value: _T) -> _T:
        """Remember ``value`` from now on and return it."""
        with self._lock:
            self._value = (value, self._clock())
        return value

    def invalidate(self) -> None:
        """Forget the value (after a publication)."""
        with self._lock:
            self._value = None
