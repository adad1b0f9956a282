"""Plant plausible one-line bugs in spend discounts and free gifts (engine, storage, admin, panel), one at a time,
and see whether the tests catch each. Run on a clean tree:

    .venv/bin/python scripts/plant_spend_gift_bugs.py            # every bug
    .venv/bin/python scripts/plant_spend_gift_bugs.py --search   # only those in the order rules' search shortcuts

Each bug is written into the working tree, the tests of these kinds run (SQLite only), and the file is put back,
also when interrupted. Prints KILLED or SURVIVED per bug and the score.
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_engine_spend_gifts.py", "tests/test_engine_spend_search.py", "tests/test_spend_gifts_shop.py",
         "-k", "not postgresql"]
#: The engine tests alone, for bugs in the order rules' search.
ENGINE_TESTS = ["tests/test_engine_spend_gifts.py", "tests/test_engine_spend_search.py"]

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
     '    without_gift = left - sum(run.unit_left * run.count for run in row)',
     '    without_gift = left'),
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
     '    needs = sorted(need for need in needs if 0 < need <= item_saving)',
     '    needs = []'),
    ('plugin/engine/order_rules.py',
     '            heavier = extra if extra < units else units\n            extra -= heavier\n            floor_bp = run.floor_bp',
     '            heavier = 0\n            extra -= heavier\n            floor_bp = run.floor_bp'),
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


#: Bugs in what makes the order rules' search cheaper (the bound before the menus, menus built as combined,
#: candidates totalled from tallies, one-pass spreading): each must change some answer the tests check.
SEARCH_BUGS = [
    ('plugin/engine/order_rules.py',
     '    most = rewards(counted + item_saving)',
     '    most = rewards(counted)'),
    ('plugin/engine/order_rules.py',
     '            stacked += sum(prices[:gifts])',
     '            stacked += 0'),
    ('plugin/engine/order_rules.py',
     '            reached = bisect_right(thresholds, at)',
     '            reached = bisect_left(thresholds, at)'),
    ('plugin/engine/order_rules.py',
     '    if needs and _worth_trying(rows, item_saving, counted, needs[0], order_rules, products, most):',
     '    if needs and _worth_trying(rows, item_saving, counted, needs[-1], order_rules, products, most):'),
    ('plugin/engine/order_rules.py',
     '            todo = open_[:COMBINE_BUDGET - steps]',
     '            todo = open_'),
    ('plugin/engine/order_rules.py',
     '                    parents[total] = (loss, group_index, option_index)\n                    if total < need:',
     '                    parents[total] = (loss, group_index, option_index)\n                    if total <= need:'),
    ('plugin/engine/order_rules.py',
     '            vectors = [[0] * len(exclusive)]',
     '            vectors = []'),
    ('plugin/engine/order_rules.py',
     '    return isinstance(rule, FixedBundle) and rule.mode is not PricingMode.FIXED_PRICE',
     '    return isinstance(rule, FixedBundle)'),
    ('plugin/engine/order_rules.py',
     '            if stackable or any(choices):',
     '            if any(choices):'),
    ('plugin/engine/order_rules.py',
     'for before, after in ((tallies[pid], _tally(row, terms)) for pid, row in priced.runs.items())])',
     'for before, after in ((tallies[pid], tallies[pid]) for pid, row in priced.runs.items())])'),
    ('plugin/engine/order_rules.py',
     '            floored = 1',
     '            floored = 0'),
    ('plugin/engine/order_rules.py',
     '            most, best_loss, exact = saving, found, runs',
     '            most, best_loss = saving, found'),
    ('plugin/engine/order_rules.py',
     '        saving, _ = _order_saving(runs, (left, room, floored), item_saving - found, order_rules, terms, products)',
     '        saving, _ = _order_saving(runs, (left, room, floored), item_saving, order_rules, terms, products)'),
    ('plugin/engine/order_rules.py',
     '            if last is not None and run.unit_left == last.unit_left and run.product_id == last.product_id and \\\n                    run.price == last.price and run.floor_bp == last.floor_bp:  # alike (neither is locked)',
     '            if last is not None and run.price == last.price:'),
    ('plugin/engine/order_rules.py',
     '                    room = max(0, room - unit_floor(cost, floor_bp))',
     '                    room = max(0, room)'),
    ('plugin/engine/order_rules.py',
     '                rooms[floor] = _headroom(rule, rows, terms)',
     '                rooms[floor] = _price_left(rows)'),
    ('plugin/engine/order_rules.py',
     '            if used.isdisjoint(products):',
     '            if True:'),
    ('plugin/engine/order_rules.py',
     '                count *= terms.max_sets(rule, free) + 1',
     '                count *= terms.max_sets(rule, free) + 2'),
]


def main() -> int:
    if "--search" in sys.argv[1:]:
        return plant([(*bug, ENGINE_TESTS) for bug in SEARCH_BUGS], ENGINE_TESTS)
    return plant(BUGS + SEARCH_BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
