"""Plant plausible one-line bugs in what the cart API keeps between one visitor's requests and in its cheaper stamp
query (docs/performance.md, "Fourth round"), one at a time, and see whether the tests catch each. Run on a clean
tree (it edits files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_api_cost4_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_visitor_caches.py", "tests/test_ab_tests.py", "tests/test_plugin_cost.py", "tests/test_api_cost.py",
         "tests/test_cart_api.py", "tests/test_honest_urgency.py", "tests/test_beacons.py", "tests/test_spend_gifts_shop.py",
         "-n", "2",
         "-k", "not postgresql"]
VISITOR = "plugin/storefront/visitor.py"
EXTENSION = "plugin/extension.py"
CACHE = "plugin/storage/rule_cache.py"
COPY = "plugin/storefront/honest_copy.py"
ROUTES = "plugin/routes.py"

#: (file, the line as it is, the line with the bug)
BUGS = [
    # the verified visitor cookie, kept by (signing keys, cookie)
    (VISITOR, "        visitor = _signer_for(keys[-1:]).unsign(cookie)", "        visitor = _signer_for(keys[:1]).unsign(cookie)"),
    (VISITOR, "        if len(keys) == 1:\n            raise\n", "        raise\n"),
    (VISITOR, "    return (visitor if _VISITOR.fullmatch(visitor) else None), current",
     "    return visitor, current"),
    (VISITOR, "        current = False\n    return", "        current = True\n    return"),
    (VISITOR, "        found, current = _checked(tuple(signing_keys()), cookie)",
     "        found, current = _checked(tuple(signing_keys()[-1:]), cookie)"),
    (VISITOR, "    if not current:\n        value = visitor_cookie(found)", "    if found is None:\n        value = visitor_cookie(found)"),
    # the exposure kept by the snapshot
    (EXTENSION, "            (visitor, salt, holdout), lambda:", "            (visitor, holdout), lambda:"),
    (EXTENSION, "            (visitor, salt, holdout), lambda:", "            (salt, holdout), lambda:"),
    (EXTENSION, "        if not checked:\n            found = copy.exposure(found)", "        if checked:\n            found = copy.exposure(found)"),
    (COPY, "    return any(claims_urgency(spec.button_label) or claims_urgency(spec.button_label_en)",
     "    return any(claims_urgency(spec.button_label)"),
    (COPY, "               for rule_id, spec in exposure.chosen.items() if not rule_id.startswith(\"pp:\"))",
     "               for rule_id, spec in exposure.chosen.items() if rule_id.startswith(\"pp:\"))"),
    # the memo and the per-snapshot views
    (CACHE, "            if len(self._items) > self.size:\n                self._items.popitem(last=False)",
     "            if len(self._items) > self.size:\n                self._items.popitem()"),
    (CACHE, "            if len(self._items) > self.size:", "            if len(self._items) > self.size * 2:"),
    (CACHE, "        return self._views.get(tuple((rule_id, spec.name) for rule_id, spec in chosen.items()),",
     "        return self._views.get(tuple(chosen),"),
    (CACHE, "            found = self._order_products[currency] = (tuple(rules), frozenset(self.referenced_products(rules)))",
     "            found = self._order_products[currency] = (tuple(rules), frozenset())"),
    # the rules and products a cart's products call for, kept by the snapshot
    (EXTENSION, "snapshot.lookups.get((in_cart, categories), lambda:", "snapshot.lookups.get((in_cart,), lambda:"),
    (EXTENSION, "snapshot.lookups.get((in_cart, currency, thresholds),", "snapshot.lookups.get((in_cart, currency),"),
    (EXTENSION, "        categories = frozenset(products[pid].category for pid in in_cart if pid in products)",
     "        categories = frozenset(products[pid].category for pid in in_cart if pid not in products)"),
    (EXTENSION, "        kept = len(in_cart) <= LOOKUPS_UP_TO_PRODUCTS", "        kept = len(in_cart) >= LOOKUPS_UP_TO_PRODUCTS"),
    # the stamp query's bound ids
    (CACHE, "    key = (min(capped, FIXED_IDS_UP_TO + 1), customer)", "    key = (min(capped, FIXED_IDS_UP_TO), customer)"),
    (CACHE, "        if len(capped_ids) > FIXED_IDS_UP_TO:", "        if len(capped_ids) >= FIXED_IDS_UP_TO:"),
    (CACHE, "               else [bindparam(f\"c{index}\") for index in range(capped)])",
     "               else [bindparam(f\"c{index}\") for index in range(capped - 1)])"),
    # the answer's encoder
    (ROUTES, "_COMPACT_UTF8 = json.JSONEncoder(ensure_ascii=False, separators=(\",\", \":\"), check_circular=False)",
     "_COMPACT_UTF8 = json.JSONEncoder(ensure_ascii=False, separators=(\",\", \": \"), check_circular=False)"),
]

if __name__ == "__main__":
    sys.exit(plant(BUGS, TESTS))
