"""Plant plausible one-line bugs in the work saved on long carts (branch perf-long3: gifts weighed declined
before any share is written, spreads and bookings changing their own runs in place, a spend discount's saving
read from running maxima, a cart's units per product worked out once), one at a time, and see whether the engine
tests catch each. Run on a clean tree (it edits files in place and puts them back, also when interrupted):

    .venv/bin/python scripts/plant_long_cart_bugs.py [--from N]   # N: skip the first N bugs

Prints KILLED or SURVIVED per bug and the score.
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_in_place.py", "tests/test_engine_spend_search.py", "tests/test_engine_spend_gifts.py",
         "tests/test_engine_pricing.py", "tests/test_engine_speedups.py", "tests/test_engine_offers.py"]

#: (file, the text as it is, the text with the bug)
BUGS = [
    ('plugin/engine/values.py',
     '                quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity',
     '                quantities[line.product_id] = line.quantity'),
    ('plugin/engine/values.py',
     '            if isinstance(self.lines, tuple):',
     '            if True:'),
    ('plugin/engine/order_rules.py',
     '    reached = bisect_right(found[1], counted)',
     '    reached = bisect_left(found[1], counted)'),
    ('plugin/engine/order_rules.py',
     '    return amount if amount > percent else percent',
     '    return amount if amount < percent else percent'),
    ('plugin/engine/order_rules.py',
     '    if amount > counted:\n        amount = counted',
     '    if amount > 2 * counted:\n        amount = counted'),
    ('plugin/engine/order_rules.py',
     '            if other > saving:\n                best_rules, saving = rules, other',
     '            if other >= saving:\n                best_rules, saving = rules, other'),
    ('plugin/engine/order_rules.py',
     '    if given and _steps_between(order_rules, counted, whole[0]):\n        for subset in _subsets(given):\n'
     '            rules = ',
     '    if given and _steps_between(order_rules, counted, counted):\n        for subset in _subsets(given):\n'
     '            rules = '),
    ('plugin/engine/order_rules.py',
     '            if not rule.earned(whole[0] - gifted - value, runs.keys()):',
     '            if not rule.earned(whole[0] - gifted - value, (gift,)):'),
    ('plugin/engine/order_rules.py',
     '        best = price_order(runs, bookings, order_rules, terms, products, whole=tallied)',
     '        best = price_order(runs, bookings, order_rules, terms, products, whole=whole)'),
    ('plugin/engine/order_rules.py',
     '            most, best_loss, exact = saving, found, (runs, (left, room, floored))',
     '            most, best_loss, exact = saving, found, (runs, whole)'),
    ('plugin/engine/order_rules.py',
     '                    run.unit_left -= cut',
     '                    run.unit_left -= base'),
    ('plugin/engine/order_rules.py',
     '                    run.floor_bp = raised\n',
     '                    pass\n'),
    ('plugin/engine/order_rules.py',
     '            rooms.append(per_unit * units)\n            counts.append(units)\n            room += per_unit * units\n            continue',
     '            rooms.append(per_unit)\n            counts.append(units)\n            room += per_unit * units\n            continue'),
    ('plugin/engine/order_rules.py',
     '            cut = heavier * (base + 1) + (units - heavier) * base\n            if pid != written_pid:',
     '            cut = heavier * (base + 1) + (units - heavier) * base\n            if written_pid is None:'),
    ('plugin/engine/units.py',
     '            upto = (twice_total * running + room) // twice_sum',
     '            upto = (twice_total * running) // twice_sum'),
    ('plugin/engine/units.py',
     '                    run.unit_left -= base + 1',
     '                    run.unit_left -= base'),
    ('plugin/engine/units.py',
     '                    run.locked = kept\n                elif base > 0 or kept != run.locked:\n                    rows[pid][index] = Run(pid, run.price, units,',
     '                    pass\n                elif base > 0 or kept != run.locked:\n                    rows[pid][index] = Run(pid, run.price, units,'),
    ('plugin/engine/units.py',
     '    return _apply_volume(rule, taken, rows, terms, fresh)\n',
     '    return _apply_volume(rule, taken, rows, terms, fresh=True)\n'),
    ('plugin/engine/units.py',
     '            if pid != written_pid:',
     '            if units_of is None:'),
    ('plugin/engine/units.py',
     '    base, extra = divmod(amount, units)  # extra < units',
     '    base, extra = divmod(amount, units + 1)  # extra < units'),
    ('plugin/engine/units.py',
     '    if cost is not None and floor_bp is not None:\n        per_unit = max(0, per_unit - unit_floor(cost, floor_bp))',
     '    if cost is not None and run.floor_bp is not None:\n        per_unit = max(0, per_unit - unit_floor(cost, floor_bp))'),
    ('plugin/engine/units.py',
     '                                       floor_bp if base > 0 else run.floor_bp, kept, run.owner)] + row[index + 1:]',
     '                                       floor_bp if base > 0 else run.floor_bp, kept, run.owner)] + row[index:]'),
    ('plugin/engine/units.py',
     '        row[index] = Run(pid, run.price, units, unit_left - base, floor_bp if base > 0 else run.floor_bp, kept,',
     '        row[index] = Run(pid, run.price, units, unit_left - base, floor_bp, kept,'),
]


def main() -> int:
    first = int(sys.argv[sys.argv.index("--from") + 1]) if "--from" in sys.argv else 0  # resume: the later bugs
    return plant(BUGS[first:], TESTS)


if __name__ == "__main__":
    sys.exit(main())
