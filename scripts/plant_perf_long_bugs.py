"""Plant plausible one-line bugs in what makes long carts cheaper to quote (the 200-line rows of
``bench/engine_worst_case.py``), one at a time, and see whether the tests catch each:

- the bound that skips giving up stackable or exclusive item rules (``order_rules._item_saving_bound``,
  ``_total_bound``): a rate too low, a reward left out, the rounding forgotten;
- booking (``units._book``, ``_take``, ``_take_all``, ``money.allocate``) and spreading (``order_rules._spread``):
  a unit taken twice, a share rounded the wrong way, a run left unwritten;
- the groups and their cache (``allocation.groups``, ``recall``, the one-bundle shortcut), the tallies of a
  switched group worked out once, the cart's rows and lines (``pricing``, ``quote``).

Run on a clean tree:

    .venv/bin/python scripts/plant_perf_long_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_spend_search.py", "tests/test_engine_pricing.py", "tests/test_money.py",
         "tests/test_engine_spend_gifts.py",
         "tests/test_engine_speedups.py", "tests/test_engine_offers.py", "tests/test_engine_reference.py",
         "-k", "not postgresql"]

#: (file, the text as it is, the text with the bug)
BUGS = [
    # order_rules.py: the bound on a rule set to give up
    ('plugin/engine/order_rules.py',
     '                into[pid] = into.get(pid, 0.0) + rate',
     '                into[pid] = rate'),
    ('plugin/engine/order_rules.py',
     'cheapest = sum(item.quantity * min(run.price for run in rows[item.product_id]) for item in rule.items)',
     'cheapest = sum(item.quantity * max(run.price for run in rows[item.product_id]) for item in rule.items)'),
    ('plugin/engine/order_rules.py',
     '    most = float(len(item_rules))  # rounding',
     '    most = 0.0  # rounding'),
    ('plugin/engine/order_rules.py',
     '    largest = item_most + gifts',
     '    largest = item_most'),
    ('plugin/engine/order_rules.py',
     '    return min(most + rounding, subtotal)',
     '    return min(most, subtotal)'),
    # order_rules.py: spreading a spend discount, and a switched group's tallies
    ('plugin/engine/order_rules.py',
     '            elif base:\n                rows[pid][index]',
     '            elif base > 1:\n                rows[pid][index]'),
    ('plugin/engine/order_rules.py',
     '    if amount > room:\n        amount = room\n    if amount <= 0:\n        return None',
     '    if amount <= 0:\n        return None'),
    ('plugin/engine/order_rules.py',
     '            by_product[pid] = run.unit_left * run.count',
     '            by_product[pid] = run.price * run.count'),
    # units.py and money.py: booking
    ('plugin/engine/units.py',
     '                                 run.owner if owner is None else owner)',
     '                                 run.owner)'),
    ('plugin/engine/units.py',
     '            headroom[-1] += last_room * units',
     '            headroom[-1] += unit_left * units'),
    ('plugin/engine/units.py',
     'if (run.owner is None) if free_only else not run.locked:\n            if owner',
     'if not run.locked:\n            if owner'),
    ('plugin/engine/money.py',
     '            upto = (twice_total * running_weight + weight_sum) // twice_sum',
     '            upto = (twice_total * running_weight) // twice_sum'),
    # allocation.py: groups, their cache, one bundle alone
    ('plugin/engine/allocation.py',
     '                folded = True  # this rule links groups',
     '                folded = False  # this rule links groups'),
    ('plugin/engine/allocation.py',
     '        for seen_rows, value in known:\n            if len(seen_rows) == len(products) and all(',
     '        for seen_rows, value in known:\n            if len(seen_rows) == len(products) or all('),
    ('plugin/engine/allocation.py',
     '        if not rule.stackable and isinstance(rule, FixedBundle) and _more_never_saves_less(rule):',
     '        if not rule.stackable and isinstance(rule, FixedBundle):'),
    # pricing.py and quote.py: the cart's rows and lines
    ('plugin/engine/pricing.py',
     '                found.append(index)',
     '                pass'),
    ('plugin/engine/quote.py',
     '            QuotedLine(line.product_id, line.quantity, line.unit_price, line_total, cut, line_total - cut)',
     '            QuotedLine(line.product_id, line.quantity, line.unit_price, line_total, cut, line_total)'),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
