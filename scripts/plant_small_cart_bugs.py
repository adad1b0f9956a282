"""Plant plausible one-line bugs in the small-cart shortcuts (issue 13's cost target: the demo's cart page), one at
a time, and see whether the tests catch each.

The shortcuts leave out what cannot change a quote: item rules that cannot form one application (``quote._reach``),
groups of them, shipping weighed where no fee step is within reach, the order rules' search with no item rule; and
they share, within one cart page, the live order rules and the rules' order of importance. The bugs are the ways
such a shortcut goes wrong (a rule said not to apply that can, a bound too small, a cache read for the wrong
thing) and the offers' bounds rewritten without generators. Run on a clean tree (a scratch worktree):

    .venv/bin/python scripts/plant_small_cart_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_small_carts.py", "tests/test_engine_offers.py", "tests/test_engine_reference.py",
         "tests/test_engine_spend_gifts.py", "tests/test_shipping_steps.py", "tests/test_engine_in_place.py",
         "-k", "not postgresql"]

#: (file, the line as it is, the line with the bug)
BUGS = [
    # quote.py: which item rules can apply (each asked once: a cached answer for another rule), the price they count
    ('plugin/engine/quote.py',
     'found = applies.get(rule.id)',
     'found = next(iter(applies.values()), None)'),
    ('plugin/engine/quote.py',
     'if units.get(item.product_id, 0) < item.quantity:',
     'if units.get(item.product_id, 0) <= item.quantity:'),
    ('plugin/engine/quote.py',
     'return rule.tier_for(sum([units[pid] for pid in terms.counted(rule, rows)])) is not None',
     'return rule.tiers[-1].min_quantity <= sum([units[pid] for pid in terms.counted(rule, rows)])'),
    ('plugin/engine/quote.py',
     'return most_groups(rule, rows, terms) > 0',
     'return most_groups(rule, rows, terms) > 1'),
    ('plugin/engine/quote.py',
     'return sum([run.price * run.count for pid in reached for run in rows[pid]])',
     'return sum([run.price for pid in reached for run in rows[pid]])'),
    ('plugin/engine/quote.py',
     'if any(can_apply(rule) for rule in group[1])]',
     'if all(can_apply(rule) for rule in group[1])]'),
    ('plugin/engine/quote.py',
     'if shipping.fee_at(subtotal - reach - gifted) == fee:',
     'if shipping.fee_at(subtotal - reach) == fee:'),
    # quote.py: what a page's quotes share
    ('plugin/engine/quote.py',
     'touching.sort(key=lambda rule: ranks[rule.id])',
     'touching.sort(key=lambda rule: rule.id)'),
    ('plugin/engine/quote.py',
     'left = checked[rule.id] if rule.id in checked else applications_left_now(',
     'left = checked.get(rule.id) if rule.id in checked or True else applications_left_now('),
    ('plugin/engine/quote.py',
     'offers=tuple(offers[:max_offers] if max_offers is not None else offers), gap_fillers=tuple(fillers),\n'
     '                 ladder=rungs)',
     'offers=tuple(offers[:max_offers] if max_offers is not None else offers), gap_fillers=tuple(fillers))'),
    # order_rules.py: the early exit with no item rule
    ('plugin/engine/order_rules.py',
     'return price_order(rows, [], order_live, terms, products)',
     'return price_order(rows, [], order_live, terms, products, decline=False)'),
    # offers.py: the bounds, and the cart's units per product
    # (first planted as "and rule.value < price:", which survived: it only loosens the bound, so no offer changes)
    ('plugin/engine/offers.py',
     'price = rule.value * sets',
     'price = rule.value'),
    ('plugin/engine/offers.py',
     'units[pid] = units.get(pid, 0) + line.quantity',
     'units[pid] = line.quantity'),
    ('plugin/engine/offers.py',
     'if step.threshold <= subtotal:',
     'if step.threshold < subtotal:'),
    # values.py: a cart with products added
    ('plugin/engine/values.py',
     'lines[index] = (CartLine(line.product_id, line.quantity + quantity, line.unit_price)',
     'lines[index] = (CartLine(line.product_id, quantity, line.unit_price)'),
]

if __name__ == "__main__":
    sys.exit(plant(BUGS, sys.argv[1:] or TESTS))
