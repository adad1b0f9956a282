"""URLs that come from outside the plugin, checked before they reach a redirect or a page.

- :func:`back_url`: where a form post may send the shopper back to. Only a page
  of this shop, as a path: a request's ``next`` field or ``Referer`` never sends
  the shopper elsewhere (``//evil.example``, ``/\\evil.example``,
  ``http://shop.example//evil.example``, their percent-encoded forms...).
- :func:`link_url`: what an adapter's ``Product.url`` or ``image_url`` may
  become in an ``href`` or ``src`` (the Jinja filter ``tsuide_link``): an http(s)
  URL or a path. ``javascript:``, ``data:`` and every other scheme are dropped.

Both refuse control characters and backslashes outright: browsers drop or
reinterpret them (``/\\host`` is ``//host`` to a browser), so a URL holding one
could mean one thing here and another there.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote, urlsplit

_AMBIGUOUS = re.compile(r"[\x00-\x1f\x7f\\]")
_LINK_SCHEMES = ("http", "https", "")


def _is_local_path(target: str) -> bool:
    """``/cart?from=panel`` is; ``//host``, ``///host``, ``/\\host`` are not, nor are they percent-encoded."""
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith("//") or _AMBIGUOUS.search(form):
            return False
    return True


def _same_site_path(target: str, host: str) -> str | None:
    """The path and query of an absolute http(s) URL on ``host`` (a ``Referer``), if it is a local path."""
    if _AMBIGUOUS.search(target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if _is_local_path(path) else None


def back_url(candidates: Iterable[str | None], host: str, fallback: str = "/") -> str:
    """The first of ``candidates`` that is a page of this shop (as a local path), else ``fallback``.

    A candidate is a local path (``/cart?x=1``) or an absolute http(s) URL on
    ``host``, such as a ``Referer``, which comes back as its path and query.
    """
    for target in candidates:
        if not target:
            continue
        if _is_local_path(target):
            return target
        path = _same_site_path(target, host)
        if path is not None:
            return path
    return fallback


@lru_cache(maxsize=4096)
def link_url(url: str | None) -> str | None:
    """``url`` if a page may link to or load it (http, https or a path); ``None`` otherwise.

    Remembered per URL (a panel checks every product's two links on every render).
    """
    if not url or url != url.strip() or _AMBIGUOUS.search(url):
        return None
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in _LINK_SCHEMES else None
