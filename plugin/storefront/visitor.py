"""The visitor id: a random id the server issues and signs, which variants, the holdout and the analytics count by.

A shopper can neither choose their id nor work out which ids land where:

- the cookie holds the id and its signature (itsdangerous, with the app's
  ``SECRET_KEY`` and the salt ``"tsuide-visitor"``); a cookie without a valid
  signature, an unsigned id from an older version among them, gets a fresh
  id, so forged ids never reach an A/B test, the holdout or the analytics;
- assignment hashes the id under a secret salt of the shop's
  (:func:`assignment_salt`), so ids cannot be precomputed for a variant.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from flask import after_this_request, current_app, g, request, session
from itsdangerous import BadSignature, Signer

#: The cookie (and, for visitors from before it, the session key) that holds the visitor id.
VISITOR_KEY = "tsuide_visitor"
#: How long a browser keeps its visitor id: 400 days, the longest browsers allow a cookie.
VISITOR_DAYS = 400
_VISITOR = re.compile(r"[0-9a-f]{16}")
_SIGNING_SALT = "tsuide-visitor"


def _secret_key(app=None) -> bytes:
    key = (app or current_app._get_current_object()).secret_key  # one look-up through the proxy, not two
    if not key:
        raise RuntimeError("Tsuide signs visitor ids with the app's SECRET_KEY: set app.config['SECRET_KEY'].")
    return key.encode("utf-8") if isinstance(key, str) else key


def signing_keys(with_fallbacks: bool = True) -> list:
    """For itsdangerous: ``SECRET_KEY_FALLBACKS`` then ``SECRET_KEY`` (it signs with the last, accepts all)."""
    app = current_app._get_current_object()
    fallbacks = list(app.config.get("SECRET_KEY_FALLBACKS") or ()) if with_fallbacks else []
    return [*fallbacks, _secret_key(app)]


def _signer(with_fallbacks: bool = True) -> Signer:
    """Signs with ``SECRET_KEY``; also accepts ``SECRET_KEY_FALLBACKS``, so rotating the key keeps visitors."""
    return _signer_for(tuple(signing_keys(with_fallbacks)))


@lru_cache(maxsize=16)
def _signer_for(keys: tuple) -> Signer:
    return Signer(list(keys), salt=_SIGNING_SALT)


def visitor_cookie(visitor: str) -> str:
    """The cookie value that carries ``visitor``: the id and the server's signature of it."""
    return _signer().sign(visitor).decode("ascii")


def assignment_salt() -> str:
    """The shop's secret salt for A/B assignment and the holdout: ``TSUIDE_ASSIGNMENT_SALT``, else one
    derived from ``SECRET_KEY`` (so a new key draws visitors afresh; set the setting to keep them)."""
    app = current_app._get_current_object()
    configured = app.config.get("TSUIDE_ASSIGNMENT_SALT")
    if configured:
        return str(configured)
    return _derived_salt(_secret_key(app))


@lru_cache(maxsize=8)
def _derived_salt(secret_key: bytes) -> str:
    """The salt derived from a ``SECRET_KEY``: the same key always gives the same salt (worked out once)."""
    return hmac.new(secret_key, b"tsuide-assignment", hashlib.sha256).hexdigest()


#: Visitor cookies kept verified (see :func:`_checked`): a bounded number, the least recently used dropped first.
VERIFIED_COOKIES = 4096


@lru_cache(maxsize=VERIFIED_COOKIES)
def _checked(keys: tuple, cookie: str) -> tuple[str | None, bool]:
    """A cookie's visitor id (``None`` if what the server signed is not one) and whether it is signed with the
    current key (``keys[-1]``); raises ``BadSignature`` for a cookie none of ``keys`` signed.

    The same string always verifies the same way under the same keys, so the answer is kept per (keys, cookie):
    a shopper's repeated requests check their cookie once. Only cookies the server signed are kept (a failure is
    an exception, which ``lru_cache`` does not keep), so forged cookies cannot fill it; new keys, a rotation, are
    a new key of the cache.
    """
    try:
        visitor = _signer_for(keys[-1:]).unsign(cookie).decode("ascii")
        current = True
    except BadSignature:
        if len(keys) == 1:
            raise
        visitor = _signer_for(keys).unsign(cookie).decode("ascii")  # signed with a fallback key
        current = False
    return (visitor if _VISITOR.fullmatch(visitor) else None), current


def visitor_id() -> str:
    """This browser's random id, which A/B variants, the holdout and the analytics count by.

    It lives in a signed cookie of its own for 400 days, not in the shop's
    session: a visitor keeps their variant when the browser restarts or the
    shop clears its session at login, so the discount seen is the discount
    charged. The cookie is HttpOnly, SameSite=Lax, and Secure on HTTPS. An id
    kept in the shop's (signed) session by an older version is re-issued in
    the cookie, signed.
    """
    request_g = g._get_current_object()  # one look-up through the proxy (each attribute read through it costs ~1 µs)
    found = request_g.get("tsuide_visitor")
    if found is not None:
        return found
    cookie = request._get_current_object().cookies.get(VISITOR_KEY) or ""
    try:  # the usual cookie, signed with the current key: one check, then none while it is remembered
        found, current = _checked(tuple(signing_keys()), cookie)
    except (BadSignature, UnicodeDecodeError):
        found, current = None, False
    if found is None:
        remembered = session.get(VISITOR_KEY) or ""
        found = remembered if _VISITOR.fullmatch(remembered) else secrets.token_hex(8)
    if not current:
        value = visitor_cookie(found)  # a new id, one from the session, or one signed with an old key

        @after_this_request
        def _remember(response):
            response.set_cookie(VISITOR_KEY, value, max_age=VISITOR_DAYS * 86_400, httponly=True,
                                samesite="Lax", secure=request.is_secure)
            return response

    request_g.tsuide_visitor = found
    return found
