"""Plant plausible one-line bugs in the shipping weighed with the item discounts (docs/engine.md, "Best price with
order rules": an item discount that would cost a fee step is given up when the shopper would pay more), one at a
time, and see whether the tests catch each. Run on a clean tree:

    .venv/bin/python scripts/plant_shipping_bugs.py

Prints KILLED or SURVIVED per bug and the score (see ``planting.py``). Two bugs change work, never an answer,
and survive: exclusive rules droppable when only shipping is weighed, and the give-up bound compared with the
discounts alone (either searches more: a given-up subset stands only when it saves more in all). 20 of 22 killed (the two above survive).
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_reference.py", "-k",
         "shipping or shopper_pays or offers_are_priced or stackable_rule_are or given_up or gift_that_takes or more_than_the_subtotal or just_the_fee"]
GIFTS = ["tests/test_engine_spend_gifts.py", "tests/test_engine_docs_check.py", "-n", "2", "-k",
         "declined or dearer or reference or every_word or just_the_fee or weigh_a_gift or decline_the_gift"]

#: (file, the line as it is, the line with the bug[, the tests that must fail]); the last eight are in the gifts
#: declined where their ¥0 would cost a spend or shipping step
BUGS = [
    ("plugin/engine/order_rules.py", "amount_off=shipping.fee - step.fee)", "amount_off=step.fee)"),
    ("plugin/engine/order_rules.py", "return self.shipping.fee - self.shipping.fee_at(counted)", "return self.shipping.fee - self.shipping.fee_at(counted - 1)"),
    ("plugin/engine/order_rules.py", "if rule is None or rule.count_before_discounts or rule.fee <= 0", "if rule is None or rule.fee <= 0"),
    ("plugin/engine/order_rules.py", "or rule.fee_at(subtotal) == rule.fee:", "or rule.fee_at(subtotal) == 0:"),
    ("plugin/engine/order_rules.py", "            shipping += rule.saving_at(counted)", "            shipping += 0"),
    ("plugin/engine/order_rules.py", "    return item_saving + gifted + taken + shipping, counted", "    return item_saving + gifted + taken, counted"),
    ("plugin/engine/order_rules.py", "        return self.saving + self.shipping_saved", "        return self.saving"),
    ("plugin/engine/order_rules.py",
     "        other = _best_candidate(rows, kept, order_live, terms, products, cache)\n        if other.weight > priced.weight:",
     "        other = _best_candidate(rows, kept, order_live, terms, products, cache)\n        if other.weight >= priced.weight:"),
    ("plugin/engine/order_rules.py", "    spend = any(isinstance(rule, SpendDiscount) and not isinstance(rule, ShippingSaved) for rule in order_live)", "    spend = any(isinstance(rule, SpendDiscount) for rule in order_live)"),
    ("plugin/engine/quote.py", "        if shipping.fee_at(subtotal - priced.saving - gifted) == shipping.fee_at(subtotal):", "        if shipping.fee_at(subtotal - priced.saving - gifted) <= shipping.fee:"),
    ("plugin/engine/quote.py", "        if shipping.fee_at(subtotal - priced.saving - gifted) == shipping.fee_at(subtotal):", "        if shipping.fee_at(subtotal) == shipping.fee_at(subtotal):"),
    ("plugin/engine/order_rules.py", "        steps.append(SpendStep(shipping.threshold, amount_off=shipping.fee))", "        pass"),
    ("plugin/engine/order_rules.py", "return min(most + rounding, subtotal + sum(rule.shipping.fee for rule in order_rules",
     "return min(most + rounding, subtotal + 0 * sum(rule.shipping.fee for rule in order_rules"),
    ("plugin/engine/order_rules.py", "_item_saving_bound(rows, kept, terms)) <= priced.weight:",
     "_item_saving_bound(rows, kept, terms)) < priced.saving:"),
    ("plugin/engine/order_rules.py", "            if other.weight > priced.weight:\n                priced = other\n    return priced", "            if other.weight >= priced.weight:\n                priced = other\n    return priced", GIFTS),
    ("plugin/engine/order_rules.py", "    return any(low < step.threshold <= high for rule", "    return any(low < step.threshold < high for rule", GIFTS),
    ("plugin/engine/order_rules.py", "    if gifted and _steps_between(order_rules, counted, whole[0]):", "    if False:", GIFTS),
    ("plugin/engine/order_rules.py", "            if after_gifts != counted:", "            if False:", GIFTS),
    ("plugin/engine/quote.py", "        if shipping.fee_at(subtotal - priced.saving - gifted) == shipping.fee_at(subtotal):", "        if shipping.fee_at(subtotal - priced.saving) == shipping.fee_at(subtotal):", GIFTS),
    ("plugin/engine/quote.py", "if lines and (\n        item_rules or gifts) else None", "if lines and (\n        item_rules) else None", GIFTS),
    ("plugin/engine/order_rules.py", "    if given and decline and _steps_between(order_rules, counted, before_gifts):", "    if given and decline and _steps_between(order_rules, counted, counted):", GIFTS),
    ("plugin/engine/order_rules.py", "                given.append(rule)", "                pass", GIFTS),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
