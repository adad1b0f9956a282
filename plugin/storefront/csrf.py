"""The panels' CSRF token: Flask-WTF's own, kept for the rest of the second it was stamped in.

Flask-WTF signs the session's raw token with itsdangerous' ``URLSafeTimedSerializer`` (the secret key, the salt
``"wtf-csrf-token"``), whose timestamp counts whole seconds: within one second, for one secret key, one field name
and one raw token, ``generate_csrf()`` answers the same string every time (see :mod:`.tokens`).

:func:`csrf_token` keeps what ``generate_csrf()`` itself answered, under (secret key, field name, raw token), for
the second the token carries, and answers it again only while itsdangerous' clock still reads that second. It defers
to ``generate_csrf()`` whenever it has nothing kept: when the session has no raw token yet (Flask-WTF's side effect
of making one stays Flask-WTF's), a new secret key (a rotation is a new key), another field name, another session,
another second. At most :data:`KEPT` tokens are kept. Nothing but Flask-WTF's own answers is ever given out.
"""
from __future__ import annotations

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

from .tokens import SecondMemo

#: Tokens kept at most (one per session that asked within the current second); more are made, not kept.
KEPT = 1024

TOKENS = SecondMemo(KEPT)


def csrf_token() -> str:
    """``flask_wtf.csrf.generate_csrf()``'s answer for this request, from the memo when it holds one for this second."""
    app = current_app._get_current_object()  # one look-up through each proxy (an attribute read costs ~1 µs)
    request_g = g._get_current_object()
    config = app.config
    secret = config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if not isinstance(secret, (str, bytes)) or not isinstance(field, str) or field in request_g:
        return generate_csrf()  # made already in this request (Flask-WTF answers from g), or no key: its own error
    shopper_session = session._get_current_object()
    raw = shopper_session.get(field)
    if not isinstance(raw, str):
        return generate_csrf()  # no raw token yet: Flask-WTF makes one and stores it in the session
    key = (secret, field, raw)
    token = TOKENS.get(key)
    if token is not None:
        setattr(request_g, field, token)  # where Flask-WTF keeps it for the rest of the request
        return token
    token = generate_csrf()
    if shopper_session.get(field) == raw:  # signed for the raw token of the key
        TOKENS.keep(key, token)
    return token
