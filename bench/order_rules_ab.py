"""The order rules (spend discounts, gifts) at a git revision against the working tree, in one process.

Each round quotes every spend case of ``bench/engine_worst_case.py`` (and the 200-line cart without order
rules) once with each version of ``plugin/engine/order_rules.py``, alternating, and keeps the CPU time
(``time.process_time()``) of each quote: on a machine shared with other work, wall times of separate runs
cannot be compared, alternating in one process can. Also checks that both versions give the same quote. Run:

    .venv/bin/python bench/order_rules_ab.py [--rev REV] [--rounds N]

(``REV`` defaults to ``HEAD``; ``PYTHONPATH=.`` when run from a checkout.)
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import engine_worst_case as cases  # noqa: E402

from plugin import RuleBook, quote_cart  # noqa: E402
from plugin.engine import order_rules, quote  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_at(rev: str):
    """``plugin/engine/order_rules.py`` as it was at ``rev``, as a module of the ``plugin.engine`` package."""
    source = subprocess.run(["git", "show", f"{rev}:plugin/engine/order_rules.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = pathlib.Path(tempfile.mkdtemp()) / "order_rules_at_rev.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("plugin.engine._order_rules_at_rev", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    versions = (("old", load_at(arguments.rev)), ("new", order_rules))
    runs = [("200 lines, no order rules", cases.long_cart(200))]
    for rich in (False, True):
        kind = "rich spend steps" if rich else "spend steps, 3 gifts"
        runs += [(f"{n} lines, chained rules + {kind}", cases.spend_ladder(n, rich)) for n in (10, 50, 200)]
        runs += [(f"{n} one-unit bundles + {kind}", cases.spend_many_groups(n, rich)) for n in (10, 50, 200)]
    gc.collect()
    gc.freeze()  # as a pre-forked server does: the garbage collector does not walk the imports again
    print(f"CPU ms a cart-page quote, median of {arguments.rounds}, {arguments.rev} against the working tree")
    print(f"{'case':48s} {'old':>7s} {'new':>7s} {'new/old':>8s}  same quote")
    try:
        for name, (cart, rules, products) in runs:
            book = RuleBook(tuple(rules))
            times: dict[str, list[float]] = {label: [] for label, _ in versions}
            quotes = {}
            for _ in range(arguments.rounds):
                for label, module in versions:
                    quote.order_rules = module
                    started = time.process_time()
                    quotes[label] = quote_cart(cart, book, products, now=cases.NOW, max_offers=2)
                    times[label].append(time.process_time() - started)
            old, new = (statistics.median(times[label]) * 1e3 for label, _ in versions)
            print(f"{name:48s} {old:7.2f} {new:7.2f} {new / old:8.2f}  {quotes['old'] == quotes['new']}")
    finally:
        quote.order_rules = order_rules


if __name__ == "__main__":
    main()
