"""The review page's HTML and assets: served offline, with the standard's colours.

HJ 633—2012 附录A 表A.1 and HJ 633—2026 附录A 表A.1 (AQI level colours, RGB as printed):
一级 绿色 (0, 228, 0); 二级 黄色 (255, 255, 0); 三级 橙色 (255, 126, 0); 四级 红色
(255, 0, 0); 五级 紫色 (153, 0, 76); 六级 褐红色 (126, 0, 35).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from forecasting.storage import Store
from serve.app import create_app
from serve.page import STATIC_DIR, plotly_js_path

TABLE_A1_RGB = {
    1: (0, 228, 0),
    2: (255, 255, 0),
    3: (255, 126, 0),
    4: (255, 0, 0),
    5: (153, 0, 76),
    6: (126, 0, 35),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("page") / "page.sqlite"
    store = Store.open(f"sqlite:///{path}")
    try:
        with TestClient(create_app(store=store)) as test_client:
            yield test_client
    finally:
        store.close()


def _config(html: str) -> dict[str, object]:
    found = re.search(
        r'<script id="review-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert found is not None
    config: dict[str, object] = json.loads(found.group(1))
    return config


def test_page_carries_hj633_table_a1_colours(client: TestClient) -> None:
    response = client.get("/review")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    config = _config(response.text)
    editions = config["editions"]
    assert isinstance(editions, dict)
    for key in ("hj633-2012", "cn_mee_hj633_2012", "hj633-2026", "cn_mee_hj633_2026"):
        colours = {lvl["level"]: lvl["hex"] for lvl in editions[key]["levels"]}
        assert colours == {k: "#{:02X}{:02X}{:02X}".format(*rgb) for k, rgb in TABLE_A1_RGB.items()}
    schemes = config["warning_schemes"]
    assert isinstance(schemes, dict)
    assert [lvl["id"] for lvl in schemes["cn_mee_warning_2024"]["levels"]] == [
        "yellow",
        "orange",
        "red",
    ]


def test_page_and_assets_load_nothing_from_outside(client: TestClient) -> None:
    html = client.get("/review").text
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sorted(sources) == [
        "data:,",
        "static/plotly.min.js",
        "static/review.css",
        "static/review.js",
    ]
    for name in ("review.html", "review.js", "review.css"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), name
        assert "@import" not in text, name
        assert "url(" not in text, name


def test_plotly_is_the_installed_package_bundle(client: TestClient) -> None:
    response = client.get("/static/plotly.min.js")
    assert response.status_code == 200
    assert response.content == plotly_js_path().read_bytes()
    assert response.headers["content-type"].startswith("text/javascript")
    etag = response.headers["etag"]
    again = client.get("/static/plotly.min.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("name", ["review.js", "review.css"])
def test_own_assets_are_served(client: TestClient, name: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.content == (STATIC_DIR / name).read_bytes()
    assert "max-age" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "path", ["/static/review.html", "/static/missing.js", "/static/..%2Fpage.py", "/static/"]
)
def test_other_static_paths_are_not_found(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
