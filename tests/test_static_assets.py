"""The widget and the stylesheet: versioned URLs, cached for a year under their version, gzipped, small."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
#: widget.js is on every cart page: it stays small (gzip -9).
WIDGET_BUDGET_BYTES = 6144
YEAR = 31_536_000


@pytest.fixture
def shop(tmp_path, make_shop):
    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    return app, tsuide


def fetch(client, url: str, **headers):
    """GET ``url``; the response with its body read and its file closed."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def linked(app, tsuide) -> dict[str, str]:
    """The URLs the page helpers put in a page: file name -> URL."""
    with app.test_request_context("/cart"):
        html = str(tsuide.stylesheet()) + str(tsuide.widget_script())
    soup = BeautifulSoup(html, "html.parser")
    urls = [soup.select_one("link[rel=stylesheet]")["href"], soup.select_one("script[defer]")["src"]]
    return {re.search(r"/static/([^?]+)", url).group(1): url for url in urls}


def test_the_page_helpers_link_each_file_with_a_version_of_its_content(shop):
    app, tsuide = shop
    urls = linked(app, tsuide)
    assert set(urls) == {"tsuide.css", "widget.js"}
    versions = {name: re.fullmatch(rf"/tsuide/static/{re.escape(name)}\?v=([0-9a-f]+)", url).group(1)
                for name, url in urls.items()}
    assert len(set(versions.values())) == 2  # each file its own version
    assert linked(app, tsuide) == urls  # the same on every page


def test_a_versioned_file_is_cached_for_a_year(shop):
    app, tsuide = shop
    client = app.test_client()
    for name, url in linked(app, tsuide).items():
        response = fetch(client, url)
        assert response.status_code == 200
        assert response.data == (ROOT / "static" / name).read_bytes()
        assert response.cache_control.public and response.cache_control.immutable
        assert response.cache_control.max_age == YEAR and not response.cache_control.no_cache
        assert "Expires" not in response.headers
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_an_unversioned_or_stale_request_is_revalidated(shop):
    app, tsuide = shop
    client = app.test_client()
    for url in ("/tsuide/static/widget.js", "/tsuide/static/widget.js?v=0123456789abcdef"):
        response = fetch(client, url)
        assert response.status_code == 200 and response.data == (ROOT / "static" / "widget.js").read_bytes()
        assert response.cache_control.no_cache and not response.cache_control.immutable
        assert response.cache_control.max_age is None


def test_a_versioned_file_comes_gzipped_to_a_browser_that_takes_it(shop):
    app, tsuide = shop
    client = app.test_client()
    for name, url in linked(app, tsuide).items():
        plain = (ROOT / "static" / name).read_bytes()
        response = fetch(client, url, **{"Accept-Encoding": "gzip, deflate, br"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.data) == plain and len(response.data) < len(plain) / 2
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.mimetype == fetch(client, url).mimetype  # the type the plain file has
        again = fetch(client, url, **{"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_a_missing_file_or_a_path_outside_the_folder_is_not_found(shop):
    app, _ = shop
    client = app.test_client()
    assert fetch(client, "/tsuide/static/nothing.js?v=0").status_code == 404
    assert fetch(client, "/tsuide/static/../plugin/routes.py?v=0").status_code == 404


def test_the_widget_stays_within_its_budget():
    size = len(gzip.compress((ROOT / "static" / "widget.js").read_bytes(), compresslevel=9))
    assert size <= WIDGET_BUDGET_BYTES, f"widget.js is {size} bytes gzipped"
