"""Plant plausible one-line bugs in the pricing engine, one at a time, and see whether the tests catch each.

A hand-written list (what mutation testing would try, chosen for money, floors, ties and offers), run as:

    .venv/bin/python scripts/plant_engine_bugs.py

It copies nothing: each bug is written into the working tree, the engine tests run (SQLite only), and the file
is put back, also when interrupted. Run it on a clean tree. Prints KILLED or SURVIVED per bug and the score.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTS = ["tests/test_engine_guarantees.py", "tests/test_engine_best_price.py", "tests/test_engine_search.py", "tests/test_engine_pricing.py",
         "tests/test_engine_offers.py", "tests/test_money.py", "tests/test_rule_validation.py",
         "tests/test_engine_reference.py", "-k", "not postgresql"]

#: (file, the line as it is, the line with the bug)
BUGS = [
    ('plugin/engine/quote.py',
     '            margin_floor_bp=margin_floor_bp,\n            _groups=cache,',
     '            _groups=cache,'),
    ('plugin/engine/savings.py',
     'return -(-cost * (FULL_BASIS_POINTS + floor_bp) // FULL_BASIS_POINTS)',
     'return cost * (FULL_BASIS_POINTS + floor_bp) // FULL_BASIS_POINTS'),
    ('plugin/engine/savings.py',
     'saving = value * applications',
     'saving = value'),
    ('plugin/engine/savings.py',
     'saving = price - value * applications',
     'saving = price - value'),
    ('plugin/engine/units.py',
     'run.locked or locked, run.owner))',
     'run.locked, run.owner))'),
    ('plugin/engine/units.py',
     'usable = (run.owner is None) if free_only else not run.locked',
     'usable = (run.owner is None) if free_only else True'),
    ('plugin/engine/units.py',
     'tier = rule.tier_for(sum(unlocked_units(rows[pid]) for pid in counted))',
     'tier = rule.tier_for(sum(run.count for pid in counted for run in rows[pid]))'),
    ('plugin/engine/rules.py',
     'return (-rule.priority, 0 if numeric else 1, int(rule.id) if numeric else 0, rule.id)',
     'return (-rule.priority, rule.id)'),
    ('plugin/engine/search.py',
     '                    best = (gain + rest[0], (choice, *rest[1]))\n                    need = best[0]',
     '                    best = (gain + rest[0], (choice, *rest[1]))\n                    need = best[0] - 1'),
    ('plugin/engine/search.py',
     '                options = (1, 0)\n            best = None',
     '                options = (1,)\n            best = None'),
    ('plugin/engine/units.py',
     'return sets if limit is None else min(sets, limit)',
     'return sets'),
    ('plugin/engine/pricing.py',
     'key=lambda item: (item[0][0], -item[0][1])',
     'key=lambda item: (item[0][0], item[0][1])'),
    ('plugin/engine/offers.py',
     'tier=reached.tier,',
     'tier=None,'),
    ('plugin/engine/offers.py',
     'if saving <= 0 or reached is None:',
     'if saving <= 0:'),
    ('plugin/engine/quote.py',
     'left = checked[rule.id] = left if rule.is_live(now) else 0',
     'left = checked[rule.id] = left'),
    ('plugin/engine/quote.py',
     '        if left != 0:\n            live.append(rule)',
     '        if True:\n            live.append(rule)'),
    ('plugin/engine/rules.py',
     'return self.ends_at is None or now < self.ends_at',
     'return self.ends_at is None or now <= self.ends_at'),
    ('plugin/engine/search.py',
     'rooms.append(rooms[-1] + max(0, run.price - floor))',
     'rooms.append(rooms[-1] + run.price - floor)'),
    ('plugin/engine/search.py',
     'return saved if saved < headroom else headroom',
     'return saved'),
    ('plugin/engine/offers.py',
     '        if isinstance(rule, FixedBundle) and rule.id in applied:  # a shortcut: additions_for would find nothing missing\n            continue\n',
     ''),
    ('plugin/engine/units.py',
     'return rule.margin_floor_bp if rule.margin_floor_bp is not None else self.default_floor_bp',
     'return rule.margin_floor_bp'),
    ('plugin/engine/values.py',
     'if not is_whole(self.quantity) or not 1 <= self.quantity <= MAX_LINE_QUANTITY:',
     'if not isinstance(self.quantity, int) or not 1 <= self.quantity <= MAX_LINE_QUANTITY:'),
    ('plugin/engine/offers.py',
     'pick = min(fresh or eligible, key=lambda p: (p.price, p.id), default=None)',
     'pick = min(eligible, key=lambda p: (p.price, p.id), default=None)'),
    ('plugin/engine/units.py',
     '    for rule in stackable_rules:\n        booking = _apply_stackable(rule, rows, terms)',
     '    for rule in reversed(stackable_rules):\n        booking = _apply_stackable(rule, rows, terms)'),
    ('plugin/engine/pricing.py',
     'counted = subtotal if rule.count_before_discounts else subtotal - discount_total',
     'counted = subtotal - discount_total'),
    ('plugin/engine/units.py',
     'rule_floor if first.floor_bp is None else max(first.floor_bp, rule_floor))',
     'rule_floor if first.floor_bp is None else min(first.floor_bp, rule_floor))'),
    ('plugin/engine/units.py',
     'per_unit = max(0, per_unit - unit_floor(cost, floor_bp))',
     'per_unit = per_unit - unit_floor(cost, floor_bp)'),
    ('plugin/engine/units.py',
     'parts = [(heavier, base + 1)] + ([(run.count - heavier, base)] if run.count > heavier else [])',
     'parts = [(run.count, base)]'),
    ('plugin/engine/units.py',
     'if cut > 0 and rule_floor is not None:',
     'if rule_floor is not None:'),
    ('plugin/engine/units.py',
     'amount = min(_raw_saving(rule, price, applications, tier), sum(headroom))',
     'amount = _raw_saving(rule, price, applications, tier)'),
    ('plugin/engine/units.py',
     'if last is not None and run.alike_as(last):',
     'if False:'),
    ('plugin/engine/search.py',
     '            return [self._best_alone(self.rules[0], free)]',
     '            return [self.terms.max_sets(self.rules[0], free) if isinstance(self.rules[0], FixedBundle) else 1]'),
    ('plugin/engine/allocation.py',
     'exclusive.sort(key=lambda rule: not isinstance(rule, FixedBundle))',
     'pass'),
    ('plugin/engine/quote.py',
     'cache = {} if _groups is None else _groups',
     'cache = {}'),
    ('plugin/engine/offers.py',
     'if max_offers is not None and len(offers) >= max_offers and offers[max_offers - 1].saving >= bound:',
     'if max_offers is not None and len(offers) >= max_offers:'),
    # The search's bounds and shortcuts (plugin/engine/search.py, allocation.py): each must never cut the best.
    ('plugin/engine/search.py',
     'slack[index] = slack[index + 1] + (0.5 if rounds else 0.0)',
     'slack[index] = slack[index + 1]'),
    ('plugin/engine/search.py',
     'priced = slack[index] + 1e-6',
     'priced = 1e-6'),
    ('plugin/engine/search.py',
     'return 1.0 if cheapest <= rule.value else rule.value / cheapest',
     'return 1.0 if cheapest <= rule.value else rule.value / dearest'),
    ('plugin/engine/search.py',
     'most += rate * tail[free_here]',
     'most += 0.9 * rate * tail[free_here]'),
    ('plugin/engine/search.py',
     'found = solve(0, totals, values[top] - 1)',
     'found = solve(0, totals, values[top])'),
    ('plugin/engine/allocation.py',
     'beaten = price * (better.value - rule.value) > 3 * FULL_BASIS_POINTS // 2',
     'beaten = better.value > rule.value'),
    ('plugin/engine/allocation.py',
     'beaten = rule.value < better.value <= price',
     'beaten = rule.value < better.value'),
    ('plugin/engine/allocation.py',
     'if terms.limits.get(rule.id) is None and (kind not in best or rule.value > best[kind].value):',
     'if kind not in best or rule.value > best[kind].value:'),
]


def main() -> int:
    killed = 0
    for path, old, new in BUGS:
        source = ROOT / path
        text = source.read_text()
        if old not in text:
            print("MISSING ", path, old[:60].replace("\n", " "))
            continue
        source.write_text(text.replace(old, new, 1))
        try:
            run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS],
                                 cwd=ROOT, capture_output=True, text=True, timeout=900)
        finally:
            source.write_text(text)
        caught = run.returncode != 0
        killed += caught
        print("KILLED  " if caught else "SURVIVED", path, "|", new[:80].replace("\n", " "))
    print(f"{killed}/{len(BUGS)} killed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
