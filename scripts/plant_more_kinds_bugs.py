"""Plant plausible one-line bugs in the A/B variants of the new kinds, the linter's checks of them, the
"Xを追加でノベルティプレゼント" nudge and the 定期 renewal price, one at a time, and see whether the tests catch each.

    .venv/bin/python scripts/plant_more_kinds_bugs.py

Runs on SQLite only (``-k "not postgresql"``); see ``scripts/planting.py``. Run it on a clean tree.
"""
from __future__ import annotations

import sys

from planting import plant

VARIANTS = ["tests/test_variants_more_kinds.py", "-k", "not postgresql"]
LINTER = ["tests/test_linter_more_kinds.py", "-k", "not postgresql"]
NUDGE = ["tests/test_gift_trigger_nudge.py", "-k", "not postgresql"]
RENEWAL = ["tests/test_renewal_spend_gifts.py", "-k", "not postgresql"]

#: (file, the code as it is, the code with the bug, the tests that should catch it)
BUGS = [
    ('plugin/engine/variants.py',
     'return isinstance(offer, (FixedBundle, BuyXGetY)) or',
     'return isinstance(offer, FixedBundle) or', VARIANTS),
    ('plugin/engine/variants.py',
     'for name in ("button_label", "button_label_en"):\n            if getattr(spec, name):',
     'for name in ("button_label",):\n            if getattr(spec, name):', VARIANTS),
    ('plugin/engine/variants.py',
     '        if refused:\n            raise RuleError({"variants": [message',
     '        if False:\n            raise RuleError({"variants": [message', VARIANTS),
    ('plugin/admin/schemas.py',
     '((PERCENT_FIELD, "discount_bp"), (AMOUNT_FIELD, AMOUNT_FIELD))',
     '((PERCENT_FIELD, PERCENT_FIELD), (AMOUNT_FIELD, AMOUNT_FIELD))', VARIANTS),
    ('plugin/admin/records.py',
     '        row.items = _items(row, [{"product_id": pid} for pid in dict.fromkeys(data["trigger_products"])])\n'
     '    _fill_variants(row, data)',
     '        row.items = _items(row, [{"product_id": pid} for pid in dict.fromkeys(data["trigger_products"])])',
     VARIANTS),
    ('plugin/admin/records.py',
     '            variant.setdefault("discount_percent", None)',
     '            pass', VARIANTS),
    ('plugin/admin/copy.py',
     'if current and not (was and current == label_for(kind, was, locale, currency)):',
     'if current:', VARIANTS),
    ('plugin/admin/pages_preview.py',
     'if not isinstance(rule, (FixedBundle, BuyXGetY)):',
     'if not isinstance(rule, FixedBundle):', VARIANTS),
    ('plugin/admin/linter.py',
     'return ("spend", rule.currency, rule.steps)',
     'return ("spend", rule.currency)', LINTER),
    ('plugin/admin/linter.py',
     'rule.get_categories, rule.get_quantity, rule.mode, rule.value)',
     'rule.get_categories, rule.get_quantity, rule.mode)', LINTER),
    ('plugin/admin/linter.py',
     '        if any(d.rule_id == rule.id and d.amount > 0 for d in quote.discounts):\n            return None\n'
     '        winners',
     '        if any(d.rule_id == rule.id and d.amount > 0 for d in quote.discounts):\n            continue\n'
     '        winners', LINTER),
    ('plugin/admin/linter.py',
     'and not any(_named_by(other, p) for other in others)), key',
     '), key', LINTER),
    ('plugin/engine/order_rules.py',
     'if gift is None or not gift.in_stock:\n            continue  # an out-of-stock gift is never promised',
     'if gift is None:\n            continue  # an out-of-stock gift is never promised', NUDGE),
    ('plugin/engine/order_rules.py',
     'and (max_added is None or product.price <= max_added)',
     'and (max_added is None or product.price < max_added)', NUDGE),
    ('plugin/engine/order_rules.py',
     'if saving < 0:\n                continue  # never says',
     'if saving <= 0:\n                continue  # never says', NUDGE),
    ('plugin/engine/order_rules.py',
     'key=lambda product: (product.price, product.id))',
     'key=lambda product: product.id)', NUDGE),
    ('plugin/storage/rule_cache.py',
     '                ids |= rule.trigger_product_ids\n',
     '', NUDGE),
    ('plugin/engine/subscriptions.py',
     'return price if price > 0 else None',
     'return price if price >= 0 else None', RENEWAL),
    ('plugin/engine/subscriptions.py',
     'NOT_FOR_RENEWALS = frozenset({"free_gift", "gift_trigger"})',
     'NOT_FOR_RENEWALS = frozenset({"free_gift"})', RENEWAL),
]


def main() -> int:
    return plant(BUGS, [])


if __name__ == "__main__":
    sys.exit(main())
