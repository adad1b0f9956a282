"""Plant plausible one-line bugs in the stackable give-up (docs/engine.md, "A stackable rule is given up where
that saves more": which rules are droppable, the subsets tried and their limits), one at a time, and see whether
the tests catch each. Run on a clean tree (it edits files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_stackable_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_reference.py", "tests/test_engine_docs_check.py", "tests/test_engine_work_bounds.py",
         "tests/test_engine_spend_search.py", "tests/test_engine_spend_gifts.py", "tests/test_engine_in_place.py",
         "-n", "2", "-k", "not postgresql"]
RULES = "plugin/engine/order_rules.py"

#: (file, the line as it is, the line with the bug)
BUGS = [
    # stacked_ahead: a rule is droppable when a later stackable rule touches one of its products
    (RULES, "            if earlier.id not in ahead and not theirs.isdisjoint(touched):",
     "            if earlier.id not in ahead and theirs.isdisjoint(touched):"),
    (RULES, "        if not rule.stackable:\n            continue\n        if isinstance(rule, FixedBundle):",
     "        if rule.stackable:\n            continue\n        if isinstance(rule, FixedBundle):"),
    (RULES, "    return [rule for rule, _ in seen if rule.id in ahead]",
     "    return [rule for rule, _ in seen if rule.id not in ahead]"),
    (RULES, "    return [rule for rule, _ in seen if rule.id in ahead]",
     "    return [rule for rule, _ in seen[:1] if rule.id in ahead]"),
    (RULES, "            touched = {item.product_id for item in rule.items if item.product_id in rows}",
     "            touched = {rule.items[0].product_id} & set(rows)"),
    (RULES, "                ahead.add(earlier.id)", "                ahead.add(rule.id)"),
    # best_with_order_rules: the droppable rules, their subsets and limits, ties keep every rule
    (RULES, "    stacked = {rule.id for rule in stacked_ahead(rows, item_rules, terms)} if not ahead else set()",
     "    stacked = set()"),
    (RULES, "        if other.weight > priced.weight:\n            priced = other\n    return priced",
     "        if other.weight >= priced.weight:\n            priced = other\n    return priced"),
    (RULES, "(MAX_GIVEN_UP if stacked_only else MAX_EACH_ALONE)", "(MAX_EACH_ALONE if stacked_only else MAX_EACH_ALONE)"),
    (RULES, "MAX_EACH_ALONE = 8", "MAX_EACH_ALONE = 80"),
    # quote.py: item rules alone go through the give-up when a stackable rule is ahead of another
    ("plugin/engine/quote.py", "if rule.stackable) > 1 and order_rules.stacked_ahead(rows, item_rules, terms):",
     "if rule.stackable) > 2 and order_rules.stacked_ahead(rows, item_rules, terms):"),
    ("plugin/engine/quote.py",
     "    elif sum(1 for rule in item_rules if rule.stackable) > 1 and order_rules.stacked_ahead(rows, item_rules, terms):",
     "    elif False:"),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
