"""Plant plausible one-line bugs in the engine's speed-ups (the worst-case work of issue "Engine: every promise
holds for every cart, in bounded time"), one at a time, and see whether the tests catch each.

Each speed-up remembers or reuses something (a quote per offer cart, a walk per count of units, a saving per
units used, a rule's units ranked once, a booking written without lists): the bugs are the ways such a cache
or shortcut goes wrong (a key missing a part, a stale entry, a sum off by a unit). Run on a clean tree:

    .venv/bin/python scripts/plant_perf_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_guarantees.py", "tests/test_engine_best_price.py", "tests/test_engine_search.py",
         "tests/test_engine_pricing.py", "tests/test_engine_offers.py", "tests/test_engine_buy_get.py",
         "tests/test_engine_spend_gifts.py", "tests/test_engine_reference.py", "tests/test_engine_speedups.py",
         "-k", "not postgresql"]

#: (file, the line as it is, the line with the bug)
BUGS = [
    # quote.py: the carts offers make, quoted once each
    ('plugin/engine/quote.py',
     'key = tuple((product.id, product.price, quantity) for product, quantity in additions)',
     'key = tuple((product.id, product.price) for product, quantity in additions)'),
    # units.py: a buy-X-get-Y's roles, and a booking's shares
    ('plugin/engine/units.py',
     '(pid, rule.buys(pid, categories.get(pid)), rule.gets(pid, categories.get(pid)))',
     '(pid, rule.buys(pid, categories.get(pid)), rule.buys(pid, categories.get(pid)))'),
    ('plugin/engine/units.py',
     'cut = units * base + heavier',
     'cut = units * base'),
    ('plugin/engine/units.py',
     'floor_bp if base > 0 else run.floor_bp, kept, run.owner)]',
     'floor_bp, kept, run.owner)]'),
    # allocation.py: a lone rule's most sets or groups, and the group cache's key
    ('plugin/engine/allocation.py',
     'choices = [most[rule.id] if isinstance(rule, (FixedBundle, BuyXGetY)) else 1]',
     'choices = [most[rule.id] if isinstance(rule, FixedBundle) else 1]'),
    ('plugin/engine/allocation.py',
     'all(seen_rows.get(pid) == rows[pid] for pid in products)',
     'all(len(seen_rows.get(pid, ())) == len(rows[pid]) for pid in products)'),
    ('plugin/engine/allocation.py',
     '            seen.add(kind)\n    else:\n        return rules',
     '    else:\n        return rules'),
    # offers.py: one more group counted without walking the cart again
    ('plugin/engine/offers.py',
     'more[at] = entry[:3] + (entry[3] + count,) + entry[4:]',
     'more[at] = entry[:3] + (count,) + entry[4:]'),
    # search.py: the walk per count of units, a saving per units used, a limited volume's ranked units
    ('plugin/engine/search.py',
     '            skip = used[pid] - start  # of this run',
     '            skip = used[pid]  # of this run'),
    ('plugin/engine/search.py',
     'key = (rule.id, tuple(counts))',
     'key = (rule.id, len(counts))'),
    ('plugin/engine/search.py',
     'key = (rule.id, sets, *[used[item.product_id] for item in rule.items])',
     'key = (rule.id, *[used[item.product_id] for item in rule.items])'),
    ('plugin/engine/search.py',
     'key = (index, choice, move_units[index](left))',
     'key = (index, move_units[index](left))'),
    ('plugin/engine/search.py',
     '                if units > left:\n                    units = left',
     '                if units > left + 1:\n                    units = left'),
    ('plugin/engine/search.py',
     'if last is None or last[0] is not free or last[1] is not used:',
     'if last is None:'),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
