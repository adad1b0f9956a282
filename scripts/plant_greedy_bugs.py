"""Plant plausible one-line bugs in the greedy allocation proved best before the search
(``search.GroupSearch._greedy_is_best``) and in the groups of a buy-X-get-Y without a get set counted without the
walk (``allocation.most_groups``, ``offers._one_more_group``) and in a limited volume read over whole rows
(``search.GroupSearch._limited``), one at a time, and see whether the tests catch each. Run on a clean tree (it edits
files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_greedy_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_work_bounds.py", "tests/test_engine_buy_get.py", "tests/test_engine_offers.py",
         "tests/test_engine_in_place.py", "tests/test_engine_docs_check.py",
         "tests/test_engine_reference.py",
         "tests/test_engine_search.py", "-n", "2", "-k", "not postgresql"]
SEARCH = "plugin/engine/search.py"
OFFERS = "plugin/engine/offers.py"
UNITS = "plugin/engine/units.py"
ALLOCATION = "plugin/engine/allocation.py"

#: (file, the line as it is, the line with the bug)
BUGS = [
    (SEARCH, "                    if slot in owned:\n                        return False\n",
     "                    if slot in owned:\n                        pass\n"),
    (SEARCH, "                bound += 0.5\n", "                bound += 0.0\n"),
    (SEARCH, "                    if top > rate[slot]:", "                    if top < rate[slot]:"),
    (SEARCH, "                for sets in range(most):  # fewer sets", "                for sets in range(most, most):  # fewer sets"),
    (SEARCH, "                        saved += top * (units[quantity * most] - units[quantity * sets])",
     "                        saved += top * (units[quantity * sets] - units[quantity * most])"),
    (SEARCH, "            if rate[slot] and left[slot]:", "            if rate[slot] and left[slot] and False:"),
    (SEARCH, "        return bound < value + 1\n", "        return bound <= value + 1\n"),
    (SEARCH, "            if seeds[top] == greedy and self._greedy_is_best(",
     "            if self._greedy_is_best("),
    (SEARCH, "                    left[slot] -= quantity * most\n            bound += best",
     "                    left[slot] -= quantity\n            bound += best"),
    (SEARCH, "                        value: int, gain) -> bool:", "                        value: int, gain) -> bool:\n        value += 1"),
    (ALLOCATION, "        formed = units // (rule.buy_quantity + rule.get_quantity)",
     "        formed = units // rule.buy_quantity"),
    (ALLOCATION, "    if rule.same_set or all([buys and gets for _, buys, gets in roles]):",
     "    if rule.same_set or all([buys or gets for _, buys, gets in roles]):"),
    (ALLOCATION, "        units = sum([free_units(rows[pid]) for pid, _, _ in roles])",
     "        units = sum([sum(run.count for run in rows[pid]) for pid, _, _ in roles])"),
    (ALLOCATION, "        return formed if cap is None or cap > formed else cap",
     "        return formed"),
    (OFFERS, "        return ([(pick, size - held % size)], None) if pick is not None else None",
     "        return ([(pick, size - held % size + 1)], None) if pick is not None else None"),
    (OFFERS, "        return ([(pick, size - held % size)], None) if pick is not None else None",
     "        return ([(pick, size - held % rule.buy_quantity)], None) if pick is not None else None"),
    (OFFERS, "        if rule.units_cap is not None and held // size >= rule.units_cap:",
     "        if rule.units_cap is not None and held // size > rule.units_cap:"),
    (OFFERS, "        pick = view.cheapest(rule.gets)", "        pick = view.cheapest(lambda pid, category: True)"),
    # a limited volume over whole rows (no bundle in the group): GroupSearch._limited without spans
    (SEARCH, "                units = entry[4] - gone_from(entry[7], 0) if gone_from is not None else entry[4]",
     "                units = entry[4]"),
    (SEARCH, "                    headroom += units * entry[6]", "                    headroom += units * entry[5]"),
    (SEARCH, "                    price += units * entry[5]", "                    price += entry[5]"),
    (SEARCH, "                self.whole_rows = not any(isinstance(other, FixedBundle) for other in self.rules) and all(",
     "                self.whole_rows = True or all("),
    # Equivalent, not planted: dropping ``run.owner is None`` from ``whole_rows`` (a group search is given the
    # cart's own rows, every unit free).
    # a bundle of single units booked (units._book_singles)
    (UNITS, "        run.locked = run.locked or locked", "        run.locked = run.locked"),
    (UNITS, "            upto = (twice_total * running + price) // twice_sum",
     "            upto = (twice_total * running) // twice_sum"),
    (UNITS, "        if run.count != 1 or pid == last or costs.get(pid) is not None:",
     "        if run.count != 1 or costs.get(pid) is not None:"),
    (UNITS, "        shares[run.product_id] = share", "        shares[run.product_id] = share + 0 * 1 if share else 1"),
    # Equivalent, not planted: the floor written on a unit with no cost (it never binds).
]

if __name__ == "__main__":
    sys.exit(plant(BUGS, TESTS))
