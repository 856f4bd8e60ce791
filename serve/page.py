"""The forecaster review page: ``GET /review`` and its assets under ``/static/``.

The page is plain HTML, CSS and JavaScript (``serve/static/``) with no build step.
It talks only to the app's own JSON API and loads plotly.js from the installed
``plotly`` Python package (``plotly/package_data/plotly.min.js``), so it works on
a machine without internet access; nothing comes from a CDN.

The AQI level colours and names (HJ 633 附录A 表A.1 and 表1/表2) and the labels of
the warning schemes are read from the standards data files when the page is
served and handed to the script as a JSON block, so the page never carries its own
copy of a standard's table.

References
----------
.. [1] HJ 633—2026 环境空气质量指数（AQI）技术规定, 表1 and 附录A 表A.1 (levels,
   colours); the levels and colours are the same in HJ 633—2012 表2.
.. [2] The warning schemes of :mod:`forecasting.standards.warning_schemes`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from forecasting.standards.aqi_hj633_standard import HJ633_EDITIONS, Hj633Standard, load_hj633
from forecasting.standards.warning_schemes import available_warning_schemes, load_warning_scheme

__all__ = ["STATIC_DIR", "page_config", "plotly_js_path", "review_router"]

logger = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
"""Folder of the page's own files (``review.html``, ``review.js``, ``review.css``)."""

_CONFIG_PLACEHOLDER: Final = "__REVIEW_CONFIG__"
_OWN_ASSETS: Final = {"review.js": "text/javascript", "review.css": "text/css"}
_PLOTLY_ASSET: Final = "plotly.min.js"
_ASSET_CACHE: Final = "public, max-age=3600"

review_router = APIRouter(include_in_schema=False)
"""Routes of the review page; the app includes it at the root (no prefix)."""


def plotly_js_path() -> Path:
    """Return the path of the ``plotly.min.js`` bundled with the installed plotly.

    Returns
    -------
    pathlib.Path
        ``<site-packages>/plotly/package_data/plotly.min.js``.

    Raises
    ------
    FileNotFoundError
        If the installed plotly package carries no ``plotly.min.js`` (install the
        ``plotly`` Python package, a dependency of ecocast).
    """
    resource = resources.files("plotly") / "package_data" / _PLOTLY_ASSET
    path = Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(
            f"plotly.js not found at {path}; reinstall the 'plotly' Python package"
        )
    return path


def page_config() -> dict[str, Any]:
    """Return the standards data the page needs: AQI levels and warning labels.

    Returns
    -------
    dict
        ``levels``: one entry per HJ 633 level of the edition in force, with
        ``level``, ``aqi_lo``, ``aqi_hi`` (None for the open top level), ``grade``,
        ``category``, ``category_en`` and ``hex`` (the colour of 附录A 表A.1);
        ``level_source``: that edition's data file id; ``editions``: the same
        ``{"source", "levels"}`` per edition, keyed by edition name and by data
        file id (a run's ``standard_edition`` picks its own); ``warning_schemes``:
        per scheme id, its ``name_en``, ``name_zh`` and ``levels`` (level number
        k ≥ 1 with ``id``, ``name_en``, ``name_zh``, ``colour``).

    References
    ----------
    .. [1] HJ 633—2026 表1 and 附录A 表A.1.
    """
    editions: dict[str, Any] = {}
    for edition in HJ633_EDITIONS:
        standard = load_hj633(edition)
        entry = {"source": standard.source.id, "levels": _levels(standard)}
        editions[edition] = editions[standard.source.id] = entry
    default = load_hj633()
    schemes: dict[str, Any] = {}
    for scheme_id in available_warning_schemes():
        scheme = load_warning_scheme(scheme_id)
        schemes[scheme_id] = {
            "name_en": scheme.name_en,
            "name_zh": scheme.name_zh,
            "levels": [
                {
                    "level": k,
                    "id": lvl.id,
                    "name_en": lvl.name_en,
                    "name_zh": lvl.name_zh,
                    "colour": lvl.colour,
                }
                for k, lvl in enumerate(scheme.levels, start=1)
            ],
        }
    return {
        "levels": _levels(default),
        "level_source": default.source.id,
        "editions": editions,
        "warning_schemes": schemes,
    }


def _levels(standard: Hj633Standard) -> list[dict[str, Any]]:
    return [
        {
            "level": lvl.level,
            "aqi_lo": lvl.aqi_lo,
            "aqi_hi": lvl.aqi_hi,
            "grade": lvl.grade,
            "category": lvl.category,
            "category_en": lvl.category_en,
            "hex": lvl.hex,
        }
        for lvl in standard.levels
    ]


def _render_page() -> str:
    template = (STATIC_DIR / "review.html").read_text(encoding="utf-8")
    # "<" escaped so that no value can close the <script> element that holds the JSON.
    config = json.dumps(page_config(), ensure_ascii=False).replace("<", "\\u003c")
    return template.replace(_CONFIG_PLACEHOLDER, config)


def _file_etag(path: Path) -> str:
    stat = path.stat()
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    return '"' + hashlib.sha256(key).hexdigest()[:32] + '"'


def _asset_response(request: Request, path: Path, media_type: str) -> Response:
    etag = _file_etag(path)
    headers = {"ETag": etag, "Cache-Control": _ASSET_CACHE}
    if_none_match = request.headers.get("if-none-match", "")
    if etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


@review_router.get("/review", response_class=HTMLResponse)
def review_page() -> HTMLResponse:
    """Serve the review page (HTML with the standards' levels and warning labels)."""
    return HTMLResponse(_render_page(), headers={"Cache-Control": "no-cache"})


@review_router.get("/static/{name}")
def static_asset(name: str, request: Request) -> Response:
    """Serve one of the page's assets, or the bundled plotly.js; 404 for anything else."""
    if name == _PLOTLY_ASSET:
        return _asset_response(request, plotly_js_path(), "text/javascript")
    if name in _OWN_ASSETS:
        return _asset_response(request, STATIC_DIR / name, _OWN_ASSETS[name])
    raise HTTPException(status_code=404, detail=f"no static file {name!r}")
