"""The cart API's and the cart page's bytes for many random demo carts, to compare two checkouts (tokens aside).

A change that makes the cart API cheaper must not change what it answers. This prints, for each of ``--carts``
random carts of the demo shop (a third in English, a 10% holdout, one product sold out, each cart its own
visitor), ``GET /tsuide/api/cart`` and the cart page's panel with the CSRF and beacon tokens masked, one JSON
line per cart. Run it on two checkouts and compare::

    PYTHONPATH=. .venv/bin/python scripts/same_answers.py --out /tmp/new.jsonl
    (cd /tmp/old-checkout && PYTHONPATH=. /work/.../.venv/bin/python scripts/same_answers.py --out /tmp/old.jsonl)
    PYTHONPATH=. .venv/bin/python scripts/same_answers.py --compare /tmp/old.jsonl /tmp/new.jsonl

or in one go, with a git revision extracted beside this checkout: ``--against REV``. The clock is frozen at one
moment for both (``--now``), so countdowns and "ends in" copy read the same.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "tsuide-same-answers"
_TOKENS = [
    (re.compile(r'(data-tsuide-csrf=")[^"]*(")'), r"\1CSRF\2"),
    (re.compile(r'(name="csrf_token" value=")[^"]*(")'), r"\1CSRF\2"),
    (re.compile(r'(data-tsuide-beacon-token=")[^"]*(")'), r"\1BEACON\2"),
    (re.compile(r'(name="beacon_token" value=")[^"]*(")'), r"\1BEACON\2"),
]


def masked(text: str) -> str:
    for pattern, replacement in _TOKENS:
        text = pattern.sub(replacement, text)
    return text


def answers(carts: int, seed: int, now: datetime) -> list[dict]:
    """Each random cart's API answer and cart-page panel, tokens masked."""
    sys.path.insert(0, os.getcwd())
    from demo import create_app
    from demo.extensions import db
    from demo.models import Product
    from demo.seed import seed_all
    from plugin import models
    from plugin.storage import migrate
    from plugin.storefront.visitor import VISITOR_KEY

    directory = tempfile.mkdtemp(prefix="tsuide-same-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/shop.sqlite", "SECRET_KEY": SECRET_KEY,
                      "TESTING": True})
    with app.app_context():
        migrate.upgrade(db.engine)
        seed_all()
        db.session.merge(models.Setting(key="holdout_percent", value=10))
        ids = sorted(db.session.scalars(db.select(Product.id)))
        db.session.get(Product, "spray").in_stock = False  # a sold-out product, offered nowhere
        db.session.commit()
    rng = random.Random(seed)
    found = []
    import plugin.extension as extension_module

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return now if tz is not None else now.replace(tzinfo=None)

    extension_module.datetime = Frozen  # the moment the guard and the quotes read
    for index in range(carts):
        client = app.test_client()
        with app.test_request_context():
            from plugin.storefront.visitor import visitor_cookie

            client.set_cookie(VISITOR_KEY, visitor_cookie(f"{rng.getrandbits(64):016x}"))
        items = [[pid, rng.choice((1, 1, 1, 2, 3))] for pid in rng.sample(ids, rng.choice((1, 1, 2, 3, 3, 4, 5)))]
        with client.session_transaction() as session:
            session["cart"] = items
            session["lang"] = "en" if index % 3 == 2 else "ja"
        api = client.get("/tsuide/api/cart", headers={"Accept": "application/json"})
        body = api.get_json()
        body["beacon_token"] = "BEACON" if body.get("beacon_token") else body.get("beacon_token")
        body["panel_html"] = masked(body.get("panel_html", ""))
        page = client.get("/cart")
        html = page.get_data(as_text=True)
        panel = re.search(r'<section class="tsuide-panel".*?</section>', html, re.S)
        found.append({"cart": items, "api_status": api.status_code, "api": body, "page_status": page.status_code,
                      "page_panel": masked(panel.group(0)) if panel else None})
    return found


def compare(old: Path, new: Path) -> int:
    before = old.read_text(encoding="utf-8").splitlines()
    after = new.read_text(encoding="utf-8").splitlines()
    differ = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    print(f"{len(after)} carts: {len(differ)} differ" + ("" if len(before) == len(after) else
                                                        f"; {len(before)} against {len(after)} lines"))
    for index in differ[:3]:
        a, b = json.loads(before[index]), json.loads(after[index])
        print(f"cart {index} {a['cart']}:")
        for key in a:
            if a[key] != b.get(key):
                print(f"  {key}: {str(a[key])[:300]}\n  {'':{len(key)}}  {str(b.get(key))[:300]}")
    return 1 if differ or len(before) != len(after) else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--carts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--now", default="2026-12-01T03:00:00+00:00")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    parser.add_argument("--against", metavar="REV", help="extract REV with git archive and compare with it")
    options = parser.parse_args(argv)
    if options.compare:
        return compare(*options.compare)
    if options.against:
        with tempfile.TemporaryDirectory(prefix="tsuide-same-") as directory:
            tree = Path(directory) / "old"
            tree.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", options.against], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
            shutil_copy = (ROOT / "scripts" / "same_answers.py").read_bytes()
            (tree / "scripts" / "same_answers.py").write_bytes(shutil_copy)  # this version of the script
            results = []
            for cwd in (tree, ROOT):
                out = Path(directory) / f"{cwd.name}.jsonl"
                subprocess.run([sys.executable, str(cwd / "scripts" / "same_answers.py"), "--carts",
                                str(options.carts), "--seed", str(options.seed), "--now", options.now, "--out",
                                str(out)], check=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(cwd)})
                results.append(out)
            return compare(*results)
    now = datetime.fromisoformat(options.now).astimezone(timezone.utc)
    lines = [json.dumps(answer, ensure_ascii=False, sort_keys=True)
             for answer in answers(options.carts, options.seed, now)]
    text = "\n".join(lines) + "\n"
    if options.out:
        options.out.write_text(text, encoding="utf-8")
        statuses = sorted({(json.loads(line)["api_status"], json.loads(line)["page_status"]) for line in lines})
        print(f"{len(lines)} carts written to {options.out}; statuses {statuses}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
