"""Plant plausible one-line bugs in the work of branch ``perf-bxgy3`` (issue "Engine: every promise holds for every
cart, in bounded time": a bundle that saves nothing never enters the search, the offers' saving bound and what the
candidates read of the cart worked out once, the buy-X-get-Y walk's shortcuts), one at a time, and see whether the
tests catch each. Run on a clean tree (it edits files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_bxgy3_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

SEARCH = ["tests/test_engine_search.py", "tests/test_engine_buy_get.py", "tests/test_engine_reference.py",
          "-n", "2", "-k", "not postgresql"]
OFFERS = ["tests/test_engine_offers.py", "tests/test_engine_buy_get.py", "tests/test_engine_guarantees.py",
          "tests/test_engine_offer_places.py", "-n", "2", "-k", "not postgresql"]
WALK = ["tests/test_engine_buy_get.py", "tests/test_engine_search.py", "tests/test_engine_reference.py",
        "-n", "2", "-k", "not postgresql"]

#: (file, the line as it is, the line with the bug, the tests that must fail)
BUGS = [
    # search.py: a fixed-price bundle that saves nothing never enters the search
    ('plugin/engine/search.py',
     '<= rule.value * sets\n',
     '< rule.value * sets\n', SEARCH),
    ('plugin/engine/search.py',
     'for sets in range(1, most + 1))',
     'for sets in range(most, most + 1))', SEARCH),
    ('plugin/engine/search.py',
     'if rule.exclusive or not isinstance(rule, FixedBundle)',
     'if not isinstance(rule, FixedBundle)', SEARCH),
    # offers.py: the saving bound, from what the cart counts plus what is added
    ('plugin/engine/offers.py',
     '                        touches = True\n                        price += value',
     '                        touches = True', OFFERS),
    ('plugin/engine/offers.py',
     'view.counted_by(rule)[0] + sum(extra)',
     'view.counted_by(rule)[0]', OFFERS),
    ('plugin/engine/offers.py',
     '(base_units.get(item.product_id, 0) + added_units.get(item.product_id, 0)) // item.quantity',
     'base_units.get(item.product_id, 0) // item.quantity', OFFERS),
    ('plugin/engine/offers.py',
     '                    price += value\n                    gets += value',
     '                    price += value', OFFERS),
    # offers.py: the rules an offer's cart brings in
    ('plugin/engine/offers.py',
     'return sum(product.price * quantity for product, quantity in additions if product.id in beyond)',
     'return sum(product.price for product, quantity in additions if product.id in beyond)', OFFERS),
    ('plugin/engine/offers.py',
     '              if rule.id not in known]',
     '              if rule.id in known]', OFFERS),
    ('plugin/engine/offers.py',
     '            found |= rule.product_ids.intersection(added)',
     '            found |= rule.product_ids.intersection(view.in_cart)', OFFERS),
    # offers.py: one more group counted from the walk of the dearer runs
    ('plugin/engine/offers.py',
     'islice(runs, at + 1 if same else at, None)',
     'islice(runs, at, None)', OFFERS),
    ('plugin/engine/offers.py',
     'held = runs[at][3] if same else 0',
     'held = 0', OFFERS),
    # offers.py: the cheapest in-stock product, one not in the cart first
    ('plugin/engine/offers.py',
     '                if product.id not in self.in_cart:\n                    return product',
     '                if product.id in self.in_cart:\n                    return product', OFFERS),
    # units.py: the walk's shortcut and the groups booked in place
    ('plugin/engine/units.py',
     'if gets_total == gets_kept and groups == formed and not pending:',
     'if gets_total == gets_kept and groups == formed:', WALK),
    ('plugin/engine/units.py',
     '        if units == rows[pid][position].count:\n            whole.append(segment)',
     '        if units <= rows[pid][position].count:\n            whole.append(segment)', WALK),
    ('plugin/engine/units.py',
     '        if owner is not None:  # the runs keep their places',
     '        if owner is None:  # the runs keep their places', WALK),
    # search.py: one sort of a volume's runs for every tier where no floor binds them
    ('plugin/engine/search.py',
     'key = (rule.id,) if unfloored else (rule.id, rate_bp)',
     'key = (rule.id,)', SEARCH),
]


def main() -> int:
    return plant(BUGS, [])


if __name__ == "__main__":
    sys.exit(main())
