"""Plant plausible one-line bugs in spend discounts and free gifts (engine, storage, admin, panel), one at a time,
and see whether the tests catch each. Run on a clean tree:

    .venv/bin/python scripts/plant_spend_gift_bugs.py

Each bug is written into the working tree, the tests of these kinds run (SQLite only), and the file is put back,
also when interrupted. Prints KILLED or SURVIVED per bug and the score.
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_spend_gifts.py", "tests/test_spend_gifts_shop.py", "-k", "not postgresql"]

#: (file, the text as it is, the text with the bug)
BUGS = [
    ('plugin/engine/rules.py',
     'if counted >= step.threshold and (best is None or step.saving_at(counted) >= best.saving_at(counted)):',
     'if counted > step.threshold and (best is None or step.saving_at(counted) >= best.saving_at(counted)):'),
    ('plugin/engine/rules.py',
     '            return min(self.amount_off, counted)',
     '            return self.amount_off'),
    ('plugin/engine/rules.py',
     '        if self.threshold is not None and counted_without_gift < self.threshold:',
     '        if self.threshold is not None and counted_without_gift + 1 < self.threshold:'),
    ('plugin/engine/order_rules.py',
     'if pid != gift for run in row_of)',
     'for run in row_of)'),
    ('plugin/engine/order_rules.py',
     '    if product is None or not product.in_stock or not row:\n        return None',
     '    if product is None or not row:\n        return None'),
    ('plugin/engine/order_rules.py',
     '            if amount > 0 and (chosen is None or amount > chosen[1]):',
     '            if amount > 0 and chosen is None:'),
    ('plugin/engine/order_rules.py',
     '    if cost is None or floor_bp is None:\n        return run.unit_left\n    return max(0, run.unit_left - unit_floor(cost, floor_bp))',
     '    return run.unit_left'),
    ('plugin/engine/order_rules.py',
     '    needs = sorted(need for need in needs if 0 < need <= base.saving)',
     '    needs = []'),
    ('plugin/engine/order_rules.py',
     '            heavier = min(extra, run.count)',
     '            heavier = 0'),
    ('plugin/engine/order_rules.py',
     '            if without_gift < rule.threshold:',
     '            if counted < rule.threshold:'),
    ('plugin/engine/quote.py',
     'discount_total - spend_saving, bool(lines),',
     'discount_total, bool(lines),'),
    ('plugin/engine/order_rules.py',
     '        if saving <= 0 or not any(discount.rule_id == rule.id for discount in after.discounts):',
     '        if saving <= 0:'),
    ('plugin/storefront/ladder.py',
     '    found.sort(key=lambda item: item[:2])',
     '    found.sort(key=lambda item: item[1])'),
    ('plugin/admin/records.py',
     '''        wanted = [{"threshold": step["threshold"], "amount_off": step.get("amount_off"),
                   "percent_bp": step.get("percent_bp")} for step in data["steps"]]''',
     '''        wanted = [{"threshold": step["threshold"], "amount_off": step.get("amount_off"),
                   "percent_bp": None} for step in data["steps"]]'''),
    ('plugin/admin/service.py',
     '_PRODUCT_FIELDS = ("replaces_product_id", "gift_product_id")',
     '_PRODUCT_FIELDS = ("replaces_product_id",)'),
    ('plugin/storage/rules.py',
     '            trigger_product_ids=frozenset(product_id for product_id, _ in items),',
     '            trigger_product_ids=frozenset(),'),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
