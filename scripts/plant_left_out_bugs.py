"""Plant plausible one-line bugs in what the quote leaves out and in the gifts weighed declined (docs/engine.md,
"Bounded work": a rule that cannot apply and a bundle that saves nothing are left out of the quote; "A gift that
would cost a step is declined": also where a gift would take a later gift's threshold away), one at a time, and
see whether the tests catch each. Run on a clean tree (it edits files in place; use a scratch worktree):

    .venv/bin/python scripts/plant_left_out_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_reference.py", "tests/test_engine_docs_check2.py", "tests/test_engine_spend_gifts.py",
         "tests/test_engine_small_carts.py", "tests/test_engine_docs_check.py", "-n", "2", "-k", "not postgresql"]
QUOTE = "plugin/engine/quote.py"
RULES = "plugin/engine/order_rules.py"

#: (file, the line as it is, the line with the bug)
BUGS = [
    # _saves_nothing: every count of sets on the dearest units costs at most the bundle's price
    (QUOTE, "for item in rule.items]) <= rule.value * sets", "for item in rule.items]) < rule.value * sets"),
    (QUOTE, "               for sets in range(1, most + 1))", "               for sets in range(1, most))"),
    (QUOTE, "[:item.quantity * sets]) for item in rule.items]", "[:sets]) for item in rule.items]"),
    (QUOTE, "    if not isinstance(rule, FixedBundle) or rule.mode is not PricingMode.FIXED_PRICE or rule.exclusive:",
     "    if not isinstance(rule, FixedBundle) or rule.mode is not PricingMode.FIXED_PRICE:"),
    (QUOTE, "    if not isinstance(rule, FixedBundle) or rule.mode is not PricingMode.FIXED_PRICE or rule.exclusive:",
     "    if not isinstance(rule, FixedBundle) or rule.mode is not PricingMode.FIXED_PRICE or rule.exclusive"
     " or rule.stackable:"),
    (QUOTE, "            prices.extend([run.price] * run.count)", "            prices.extend([run.price])"),
    # a rule that cannot apply is left out of the quote
    (QUOTE, "        item_rules = [rule for rule in item_rules if _applies(rule, rows, units, terms)\n",
     "        item_rules = [rule for rule in item_rules if (_applies(rule, rows, units, terms) or rule.stackable)\n"),
    (QUOTE, "        item_rules = [rule for rule in item_rules if _applies(rule, rows, units, terms)\n",
     "        item_rules = [rule for rule in item_rules if (_applies(rule, rows, units, terms)"
     " or isinstance(rule, VolumeDiscount))\n"),
    # _declining_may_pay: a gift not given that would reach its threshold without the gifts before it
    (RULES, "            if row and before_gifts - _price_left({rule.gift_product_id: row}) >= rule.threshold:",
     "            if row and before_gifts - _price_left({rule.gift_product_id: row}) > rule.threshold:"),
    (RULES, "            if row and before_gifts - _price_left({rule.gift_product_id: row}) >= rule.threshold:",
     "            if row and before_gifts >= rule.threshold + before_gifts:"),
    (RULES, "        if isinstance(rule, FreeGift) and rule.id not in given_ids and rule.threshold is not None:",
     "        if isinstance(rule, FreeGift) and rule.id in given_ids and rule.threshold is not None:"),
    (RULES, "    if given and _declining_may_pay(runs, order_rules, given, counted, whole[0]):",
     "    if given and _steps_between(order_rules, counted, whole[0]):"),
    (RULES, "    declining = bool(given) and decline and _declining_may_pay(runs, order_rules, given, counted, before_gifts)",
     "    declining = bool(given) and decline and _steps_between(order_rules, counted, before_gifts)"),
]

if __name__ == "__main__":
    sys.exit(plant(BUGS, TESTS))
