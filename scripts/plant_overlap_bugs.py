"""Plant plausible one-line bugs in the overlap speed-ups (issue "Engine: every promise holds for every cart, in
bounded time", the overlapping buy-X-get-Y and bundle cases), one at a time, and see whether the tests catch each.

The speed-ups: a branch-and-bound leaf of bundles and buy-X-get-Y groups read from what the search added up (not
priced in full), the shadow-price bound summed only as far as it can cut, and a buy-X-get-Y offer at its caps
dropped before its cart is quoted. Run on a clean tree:

    .venv/bin/python scripts/plant_overlap_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

SEARCH = ["tests/test_engine_search.py", "tests/test_engine_buy_get.py", "tests/test_engine_reference.py",
          "-n", "2", "-k", "not postgresql"]
OFFERS = ["tests/test_engine_buy_get.py", "tests/test_engine_offers.py", "tests/test_engine_guarantees.py",
          "tests/test_engine_reference.py", "-n", "2", "-k", "not postgresql"]

#: (file, the line as it is, the line with the bug, the tests that must fail)
BUGS = [
    # search.py: a leaf read from what the search added up
    ('plugin/engine/search.py',
     'self.exact_leaves = not self.stackable and not any(',
     'self.exact_leaves = not any(', SEARCH),
    ('plugin/engine/search.py',
     '            self.leaves -= 1\n            if self.exact_leaves:',
     '            if self.exact_leaves:', SEARCH),
    # search.py: the shadow-price bound, summed as far as it can cut
    ('plugin/engine/search.py',
     '[[entry[1:] for entry in above if entry[0] >= index]',
     '[[entry[1:] for entry in above if entry[0] > index]', SEARCH),
    ('plugin/engine/search.py',
     'enough = need + 1  #',
     'enough = need  #', SEARCH),
    # offers.py / product_offers.py / quote.py: a buy-X-get-Y at its caps is not quoted
    ('plugin/engine/offers.py',
     'return left is not None and applications >= left',
     'return left is not None and applications + 1 >= left', OFFERS),
    ('plugin/engine/offers.py',
     'at_cap(applied.get(rule.id, 0), limits.get(rule.id))',
     'at_cap(applied.get(rule.id, 1), limits.get(rule.id))', OFFERS),
    ('plugin/engine/offers.py',
     'at_cap(applied.get(rule.id, 0), limits.get(rule.id))',
     'at_cap(applied.get(rule.id, 0), rule.max_applications)', OFFERS),
    ('plugin/engine/offers.py',
     'if reached.applications <= applied.get(rule.id, 0):',
     'if reached.applications < applied.get(rule.id, 0):', OFFERS),
    ('plugin/engine/product_offers.py',
     'if at_cap(earlier, applications_left(rule)):',
     'if at_cap(earlier + 1, applications_left(rule)):', OFFERS),
    ('plugin/engine/quote.py',
     'order_live,\n                          limits)',
     'order_live)', OFFERS),
]


def main() -> int:
    return plant(BUGS, [])


if __name__ == "__main__":
    sys.exit(main())
