"""The engine's worst cases, before and after a change, in one process: CPU time, turn by turn.

On a shared machine a wall-clock run of ``bench/engine_worst_case.py`` moves with the other jobs (two cores,
several sessions). This runs every case of that benchmark on an older engine and on this checkout's,
alternating quote by quote, and reports the median ``time.process_time()`` of each, their ratio, and both
savings (they must match, or the change moved a price; a quote that differs in any field, lines, discounts,
offers or ladder, is flagged ``QUOTE DIFFERS``). The older engine is the ``plugin/engine`` package of
another checkout (``git worktree add /tmp/before <commit>``), loaded under another name:

    .venv/bin/python bench/engine_ab.py --before /tmp/before [--rounds 15] [case words...]

Case words filter the cases by name ("distinct", "200 lines", "demo", "small"). The small carts of
``bench/small_carts.py`` (1–10 lines, a dozen rules of every kind, the demo's cart among them) come last, quoted
with the arguments the extension passes. ``--random N`` then quotes N random small carts on both engines and
counts the quotes that differ. The heap is frozen before each case (``gc.freeze()``), as ``--freeze`` does in the
benchmark. It never fails on a timing.
"""
from __future__ import annotations

from dataclasses import replace

import argparse
import gc
import importlib
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
import types

HERE = pathlib.Path(__file__).resolve().parent
BEFORE = "tsuide_before"  # the older engine's package name


def load_before(checkout: pathlib.Path) -> types.ModuleType:
    """The older checkout's worst-case benchmark, built on its own engine (imported as :data:`BEFORE`)."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="engine_ab_"))
    package = root / BEFORE
    shutil.copytree(checkout / "plugin" / "engine", package / "engine")
    (package / "__init__.py").write_text("from .engine.values import *\nfrom .engine.rules import *\n"
                                         "from .engine.quote import quote_cart\n")
    sys.path.insert(0, str(root))
    return _load_on(BEFORE, "engine_worst_case")


def _load_on(package: str, name: str) -> types.ModuleType:
    """This checkout's ``bench/<name>.py``, its ``plugin`` imports taken from ``package``."""
    source = (HERE / f"{name}.py").read_text().replace("from plugin", f"from {package}")
    module = types.ModuleType(f"{name}_before")
    sys.modules[module.__name__] = module
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


def _stackable(case):
    """A case's rules made stackable (the worst case's ``stackable_overlapping``, which an older checkout lacks)."""
    cart, rules, products = case
    return cart, [replace(rule, stackable=True) for rule in rules], products


def cases(bench) -> list[tuple[str, object]]:
    """The cases of ``bench/engine_worst_case.py``'s ``main``, as (name, builder)."""
    found = [(f"K={k} overlapping bundles{' + 3 missing' if missing else ''}",
              lambda k=k, missing=missing: bench.overlapping(k, missing)) for k in (1, 5, 20, 50, 100)
             for missing in (False, True)]
    found += [(f"K={k} distinct overlapping bundles", lambda k=k: bench.distinct(k)) for k in (20, 50, 100)]
    found += [(f"K={k} stackable overlapping bundles", lambda k=k: _stackable(bench.overlapping(k, False)))
              for k in (4, 20, 100)]
    found += [("28 pair bundles, 2 products missing", bench.pairs)]
    found += [(f"{n} lines, pair bundles + chained volumes", lambda n=n: bench.long_cart(n)) for n in (1, 10, 50, 200)]
    found += [("10 lines, 10,000 rules", bench.many_rules)]
    found += [(f"{n} lines, chained rules + 5×10 spend steps, 3 gifts", lambda n=n: bench.spend_ladder(n))
              for n in (10, 50, 200)]
    found += [(f"{n} one-unit bundles + 5×10 spend steps, 3 gifts", lambda n=n: bench.spend_many_groups(n))
              for n in (10, 50, 200)]
    found += [(f"{n} lines, chained rules + 5×10 rich spend steps", lambda n=n: bench.spend_ladder(n, True))
              for n in (10, 50, 200)]
    found += [(f"{n} one-unit bundles + 5×10 rich spend steps", lambda n=n: bench.spend_many_groups(n, True))
              for n in (10, 50, 200)]
    found += [(f"{n} lines, spend steps + 3 storewide stackable", lambda n=n: bench.storewide_stackable(n))
              for n in (50, 200)]
    found += [(f"{n} lines, shipping steps amid the discounts" + (" + 3 storewide stackable" if k else ""),
               lambda n=n, k=k: bench.shipping_weighed(n, k)) for n in (50, 200) for k in (0, 3)]
    found += [(f"10 lines, {g} gifts earned by 200 products each", lambda g=g: bench.trigger_gifts(g)) for g in (1, 20)]
    found += [(f"{n} lines, buy 2 get 1 over one category", lambda n=n: bench.bxgy_category(n)) for n in (10, 200)]
    found += [(f"{n} lines, buy 2 get 1 + limited volume", lambda n=n: bench.bxgy_category(n, True))
              for n in (10, 200)]
    found += [(f"K={k} buy-X-get-Y + K bundles overlapping", lambda k=k: bench.bxgy_overlapping(k)) for k in (1, 5, 20)]
    return found


def _random_check(count: int, before_small, after_small, engines) -> None:
    """Quote ``count`` random small carts on both engines; print how many differ, and the first few."""
    differ = []
    timed = [0.0, 0.0]  # each cart's fastest of 3 quotes on each engine, taking turns, added up
    for index, (old, new) in enumerate(zip(before_small.random_cases(count), after_small.random_cases(count))):
        both = []
        calls = []
        for engine, (cart, rules, products, arguments) in zip(engines, (old, new)):
            book = engine.RuleBook(tuple(rules))
            calls.append(lambda engine=engine, cart=cart, book=book, products=products, arguments=arguments:
                         engine.quote_cart(cart, book, products, **arguments))
        fastest = [float("inf"), float("inf")]
        for _ in range(3):
            for position, call in enumerate(calls):
                started = time.process_time()
                quote = call()
                fastest[position] = min(fastest[position], time.process_time() - started)
                if len(both) < 2:
                    both.append(quote)
        timed[0] += fastest[0]
        timed[1] += fastest[1]
        if repr(both[0]) != repr(both[1]):
            differ.append(index)
    print(f"random small carts: {count} quoted, {len(differ)} QUOTES DIFFER {differ[:10]}; "
          f"CPU {timed[0] * 1e3:.0f} ms before, {timed[1] * 1e3:.0f} ms after ({timed[1] / timed[0]:.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, type=pathlib.Path, help="a checkout of the older code")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--random", type=int, default=0, metavar="N",
                        help="also quote N random small carts on both engines and count those that differ")
    parser.add_argument("words", nargs="*", help="only the cases whose name holds one of these")
    arguments = parser.parse_args()
    before = load_before(arguments.before)
    before_small = _load_on(BEFORE, "small_carts")
    sys.path.insert(0, str(HERE.parent))
    after = importlib.import_module("bench.engine_worst_case")
    after_small = importlib.import_module("bench.small_carts")
    engines = (importlib.import_module(BEFORE), importlib.import_module("plugin"))
    print(f"{'case':52s} {'before ms':>9s} {'after ms':>9s} {'ratio':>6s} {'saving':>13s} {'cut/searches':>13s}")
    small = [(f"small: {name}", build) for name, build in before_small.cases()]
    for (name, build_before), (_, build_after) in zip(cases(before) + small,
                                                      cases(after) + after_small.cases()):
        if arguments.words and not any(word in name for word in arguments.words):
            continue
        quotes = []
        for bench, build, engine in ((before, build_before, engines[0]), (after, build_after, engines[1])):
            cart, rules, products, *extra = build()
            book = engine.RuleBook(tuple(rules))
            keywords = extra[0] if extra else {"now": bench.NOW, "max_offers": 2}
            quotes.append(lambda engine=engine, cart=cart, book=book, products=products, keywords=keywords:
                          engine.quote_cart(cart, book, products, **keywords))
        gc.collect()
        gc.freeze()
        samples: tuple[list[float], list[float]] = ([], [])
        for _ in range(arguments.rounds):
            for quote, into in zip(quotes, samples):
                started = time.process_time()
                quote()
                into.append(time.process_time() - started)
        gc.unfreeze()
        old, new = (statistics.median(values) * 1e3 for values in samples)
        both = [quote() for quote in quotes]
        saved = [quote.discount_total for quote in both]
        saving = f"{saved[1]}" if saved[0] == saved[1] else f"{saved[0]}->{saved[1]}"
        if repr(both[0]) != repr(both[1]):  # every field: lines and their cuts, discounts, offers, ladder, shipping
            saving += " QUOTE DIFFERS"
        searched, cut = after.cut_searches(*build_after()[:3])
        print(f"{name:52s} {old:9.3f} {new:9.3f} {new / old:6.2f} {saving:>13s} {cut:>6d}/{searched:<6d}", flush=True)
    if arguments.random:
        _random_check(arguments.random, before_small, after_small, engines)


if __name__ == "__main__":
    main()
