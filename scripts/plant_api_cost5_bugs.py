"""Plant plausible one-line bugs in the fifth round's changes to the cart API (docs/performance.md, "Fifth round"):
the CSRF and beacon tokens kept for the second they were stamped in, and the proxies read once. One at a time, and see
whether the tests catch each. Run on a clean tree (it edits files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_api_cost5_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_token_memos.py", "tests/test_beacons.py", "tests/test_cart_api.py", "tests/test_cart_panel.py",
         "tests/test_plugin_cost.py", "tests/test_visitor_caches.py", "tests/test_ab_tests.py",
         "tests/test_request_limits.py", "tests/test_extension.py", "-n", "2", "-k", "not postgresql"]
TOKENS = "plugin/storefront/tokens.py"
CSRF = "plugin/storefront/csrf.py"
BEACONS = "plugin/storefront/beacons.py"
VISITOR = "plugin/storefront/visitor.py"
EXTENSION = "plugin/extension.py"
PANELS = "plugin/storefront/panels.py"
ROUTES = "plugin/routes.py"

#: (file, the line as it is, the line with the bug)
BUGS = [
    # the memo of one second's tokens
    (TOKENS, "        return tokens.get(key) if second == now_second() else None", "        return tokens.get(key)"),
    (TOKENS, "        return bytes_to_int(base64_decode(token.rsplit(\".\", 2)[-2]))",
     "        return bytes_to_int(base64_decode(token.rsplit(\".\", 2)[-1]))"),
    (TOKENS, "        if stamped == second:", "        if stamped >= second:"),
    (TOKENS, "            if len(tokens) < self.size:", "            if len(tokens) <= self.size * 2:"),
    (TOKENS, "    return int(timed.time.time())", "    return int(timed.time.time()) + 1"),
    # the CSRF token: Flask-WTF's own answers, keyed by secret key, field name and raw token
    (CSRF, "    key = (secret, field, raw)", "    key = (field, raw)"),
    (CSRF, "    secret = config.get(\"WTF_CSRF_SECRET_KEY\", app.secret_key)", "    secret = app.secret_key"),
    (CSRF, "        setattr(request_g, field, token)  # where Flask-WTF keeps it", "        pass  # where Flask-WTF keeps it"),
    (CSRF, "or not isinstance(field, str) or field in request_g:", "or not isinstance(field, str):"),
    (CSRF, "    if not isinstance(raw, str):\n        return generate_csrf()", "    if raw is None and False:\n        return generate_csrf()"),
    # the beacon token
    (BEACONS, "        kept_as = (keys, key)", "        kept_as = key"),
    (BEACONS, "        made[key] = token", "        pass"),
    # the proxies read once
    (VISITOR, "    request_g.tsuide_visitor = found", "    pass"),
    (VISITOR, "    fallbacks = list(app.config.get(\"SECRET_KEY_FALLBACKS\") or ()) if with_fallbacks else []",
     "    fallbacks = []"),
    (EXTENSION, "        request_g.tsuide_exposure = (snapshot.version, found, copy)", "        pass"),
    (EXTENSION, "        allowed = config[\"TSUIDE_LOCALES\"]", "        allowed = config[\"TSUIDE_LOCALES\"][:1]"),
    (EXTENSION, "            chosen = request._get_current_object().accept_languages.best_match(allowed)",
     "            chosen = request._get_current_object().accept_languages.best_match(allowed[::-1])"),
    (ROUTES, "    if request._get_current_object().method != \"POST\" or",
     "    if request._get_current_object().method != \"PUT\" or"),
    (PANELS, "    return request._get_current_object().full_path.rstrip(\"?\") if request else \"/\"",
     "    return request._get_current_object().path if request else \"/\""),
    (PANELS, "    root = request._get_current_object().script_root if request else None", "    root = None"),
]

if __name__ == "__main__":
    sys.exit(plant(BUGS, TESTS))
