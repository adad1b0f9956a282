"""The visitor id: the random id A/B variants, the holdout and the analytics count a browser by."""
from __future__ import annotations

import re
import secrets

from flask import after_this_request, g, request, session

#: The cookie (and, for visitors from before it, the session key) that holds the visitor id.
VISITOR_KEY = "tsuide_visitor"
#: How long a browser keeps its visitor id: 400 days, the longest browsers allow a cookie.
VISITOR_DAYS = 400
_VISITOR = re.compile(r"[0-9a-f]{16}")


def visitor_id() -> str:
    """This browser's random id, which A/B variants, the holdout and the analytics count by.

    It lives in a cookie of its own for 400 days, not in the shop's session: a
    visitor keeps their variant when the browser restarts or the shop clears
    its session at login, so the discount seen is the discount charged. The
    cookie is HttpOnly, SameSite=Lax, and Secure on HTTPS.
    """
    if "tsuide_visitor" in g:
        return g.tsuide_visitor
    found = request.cookies.get(VISITOR_KEY) or ""
    if not _VISITOR.fullmatch(found):
        remembered = session.get(VISITOR_KEY) or ""
        found = remembered if _VISITOR.fullmatch(remembered) else secrets.token_hex(8)

        @after_this_request
        def _remember(response):
            response.set_cookie(VISITOR_KEY, found, max_age=VISITOR_DAYS * 86_400, httponly=True,
                                samesite="Lax", secure=request.is_secure)
            return response

    g.tsuide_visitor = found
    return found
