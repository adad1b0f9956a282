"""The widget and the stylesheet as browsers get them: versioned URLs, cached for a year, gzipped.

The page helpers link ``widget.js?v=<hash>`` and ``tsuide.css?v=<hash>``,
the hash of the file's content (read once per process). A request that names
the current version is answered ``Cache-Control: public, max-age=31536000,
immutable``, so a cart view never asks for them again; a new release has a
new hash, hence a new URL. A request without a version, or with one that is
not the current file's, gets the file as Flask serves any static file
(``no-cache``), so a stale page never pins the wrong content for a year.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Callable
from pathlib import Path

from flask import Response, current_app, request, url_for
from werkzeug.security import safe_join

#: A year, the longest lifetime caches honour.
ASSET_MAX_AGE = 31_536_000
#: Files worth compressing (the browser sends text as it is otherwise).
_COMPRESSIBLE = (".js", ".css", ".svg", ".json")

_versions: dict[str, str] = {}  # absolute path -> content hash, once per process
_gzipped: dict[str, bytes] = {}  # absolute path -> gzipped content, once per process


def _path(folder: str, filename: str) -> str | None:
    found = safe_join(folder, filename)
    return found if found is not None and Path(found).is_file() else None


def _version_of(path: str) -> str:
    if path not in _versions:
        _versions[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return _versions[path]


def asset_version(folder: str, filename: str) -> str | None:
    """The hash of ``filename``'s content in ``folder`` (computed once per process), or ``None`` if missing."""
    path = _path(folder, filename)
    return _version_of(path) if path else None


def asset_url(filename: str) -> str:
    """The URL of one of the plugin's static files, with its version: ``/tsuide/static/widget.js?v=…``."""
    folder = current_app.blueprints["tsuide"].static_folder
    version = asset_version(folder, filename)
    values = {"v": version} if version else {}
    return url_for("tsuide.static", filename=filename, **values)


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def send_asset(folder: str, filename: str, send_plain: Callable[[], Response]) -> Response:
    """Answer a static file: with its current version asked for, cacheable for a year and gzipped if welcome."""
    path = _path(folder, filename)
    asked = request.args.get("v")
    if path is None or asked is None or asked != _version_of(path):
        return send_plain()  # Flask's own answer: revalidated on every use, 404 when missing
    if filename.endswith(_COMPRESSIBLE) and _accepts_gzip():
        if path not in _gzipped:
            _gzipped[path] = gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)
        body = _gzipped[path]
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = Response(body, mimetype=mimetype)
        response.content_encoding = "gzip"
        response.set_etag(f"{asked}-gzip")
        response.make_conditional(request)
    else:
        response = send_plain()
    if filename.endswith(_COMPRESSIBLE):
        response.vary.add("Accept-Encoding")
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = ASSET_MAX_AGE
    response.cache_control.immutable = True
    response.headers.pop("Expires", None)  # max-age says it all (and wins over Expires)
    return response
