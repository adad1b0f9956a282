"""Plant plausible one-line bugs in the long-cart work of branch ``long4`` (docs/performance.md, "Long carts, a
fourth pass": bookings held as two dicts, stackable rules changing their own allocation's runs, spreads over
one-unit rows in one pass, gifts weighed without copying a row, the combination's shared links), one at a time,
and see whether the tests catch each. Run on a clean tree (it edits files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_long4_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_in_place.py", "tests/test_engine_reference.py", "tests/test_engine_spend_search.py",
         "tests/test_engine_spend_gifts.py", "tests/test_engine_search.py", "tests/test_engine_docs_check.py",
         "-n", "2", "-k", "not postgresql"]
UNITS = "plugin/engine/units.py"
RULES = "plugin/engine/order_rules.py"

#: (file, the line as it is, the line with the bug)
BUGS = [
    # apply: the stackable rules change in place only the runs this allocation built
    (UNITS, "    held = {id(run) for row in rows.values() for run in row} if stackable_rules else None",
     "    held = set() if stackable_rules else None"),
    (UNITS, "            elif fresh is True or (held is not None and id(run) not in held):\n                if base > 0:",
     "            elif fresh is True or held is not None:\n                if base > 0:"),
    # apply: a bundle's first run taken whole, a volume's free runs, inline
    (UNITS, "                    if run.count == count and run.owner is None:",
     "                    if run.count >= count and run.owner is None:"),
    (UNITS, "                for index, run in enumerate(row):\n                    if run.owner is None:",
     "                for index, run in enumerate(row):\n                    if not run.locked:"),
    (UNITS, "            if fit < sets or sets < 0:", "            if fit > sets or sets < 0:"),
    (UNITS, "        return run.count if run.owner is None else 0", "        return run.count"),
    # Booking: quantities and shares, written per product as the shares are
    (UNITS, "        return {pid: [quantity, shares[pid]] for pid, quantity in self.quantities.items()}",
     "        return {pid: [shares[pid], quantity] for pid, quantity in self.quantities.items()}"),
    (UNITS, "    if written_pid is not None:\n        quantities[written_pid], shares[written_pid] = written_units, "
            "written_share\n    if split is not None:",
     "    if split is not None:"),
    (UNITS, "                written_units += count\n                written_share += share\n            continue",
     "                written_units = count\n                written_share += share\n            continue"),
    # price_order: spreads over one-unit rows in one pass
    (RULES, "        room -= amount\n        found.append(booking)", "        found.append(booking)"),
    (RULES, "                    if floor_bp is None or floor_bp < rule_floor:\n                        floors[position]",
     "                    if floor_bp is None:\n                        floors[position]"),
    (RULES, "        if len(row) != 1 or row[0].count != 1 or costs.get(pid) is not None:",
     "        if len(row) != 1 or costs.get(pid) is not None:"),
    # _spread: a group of one run
    (RULES, "            if extra:\n                pieces = [Run(pid, run.price, extra,",
     "            if extra > 1:\n                pieces = [Run(pid, run.price, extra,"),
    # _weigh: each gift takes the next unit with a price left, and the headroom only where no exclusive rule used it
    (RULES, "                if run.unit_left > 0 and used < run.count:", "                if run.unit_left > 0:"),
    (RULES, "            if not run.locked:\n                room -= amount\n            given.append(rule)",
     "            room -= amount\n            given.append(rule)"),
    (RULES, "        taken += amount if amount < room - taken else room - taken", "        taken += amount"),
    # _tally of a one-run row; the spend ladders' percentages; the combination's links
    (RULES, "        return left, 0 if run.locked else left, 1 if run.floor_bp is not None and \\",
     "        return left, left, 1 if run.floor_bp is not None and \\"),
    (RULES, "                if percent > saving:\n                    saving = percent",
     "                if percent < saving:\n                    saving = percent"),
    (RULES, "        links = [(option_loss, group_index, option_index) for option_index, option_loss in enumerate(losses)]",
     "        links = [(option_loss, group_index, 0) for option_index, option_loss in enumerate(losses)]"),
    ("plugin/engine/allocation.py",
     "    order = {rule.id: index + after if rule.stackable else index for index, rule in enumerate(rules)}",
     "    order = {rule.id: index for index, rule in enumerate(rules)}"),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
