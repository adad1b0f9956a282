"""Load and faults: the demo shop under gunicorn on PostgreSQL, shoppers, an admin editing rules, a killed worker.

Run it (as root it starts a throw-away PostgreSQL itself, as ``scripts/test.sh`` does; otherwise pass
``--database-url`` or set ``TSUIDE_BENCH_POSTGRES_URL``):

    .venv/bin/python bench/load_and_fault.py [--seconds 60] [--shoppers 200] [--workers 4] [--threads 4]

It seeds the demo on an empty database, gives its shoe-care trio a "first 40" cap, and serves it with gunicorn
on a free loopback port. Then, for a bounded time, every simulated shopper loops: the catalogue, a product
page, an add to the cart, the cart page and its JSON, the checkout (agreeing to the total it was shown), and
on the thank-you page accepts or declines the offer. Meanwhile an admin changes the shipping fee every few
seconds and a probe measures how long the change takes to reach every worker, and halfway through one
worker is killed (SIGKILL). Before the run, a bare endpoint of the shop (a product image, no plugin) is
timed alone: the baseline the throughput is compared with.

It reports throughput and p50/p99 per step, 5xx answers (those in flight on the killed worker counted
apart), oversold caps, orders whose charge differs from the total the shopper agreed to, and the rule edit's
propagation. Traffic goes to 127.0.0.1 only, and every loop stops at its deadline.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CARD = "4242424242424242"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PANEL_CSRF = re.compile(r'data-tsuide-csrf="([^"]+)"')
EXPECTED = re.compile(r'name="expected_total" value="(\d+)"')
THANKS = re.compile(r"/orders/(\d+)/thanks")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_postgres() -> tuple[str, callable]:
    """A throw-away PostgreSQL server as the postgres user (root only), and how to stop it."""
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="tsuide-load-pg."))
    shutil.chown(data, "postgres", "postgres")

    def as_postgres(*args):
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True, stdout=subprocess.DEVNULL)

    as_postgres(pg_bin / "initdb", "-D", data / "data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--locale=C.UTF-8")
    as_postgres(pg_bin / "pg_ctl", "-D", data / "data", "-l", data / "server.log", "-w", "-t", "30", "-o",
                f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off "
                "-c max_connections=200", "start")
    as_postgres(pg_bin / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "tsuide_load")

    def stop():
        subprocess.run(["runuser", "-u", "postgres", "--", str(pg_bin / "pg_ctl"), "-D", str(data / "data"), "-m",
                        "fast", "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/tsuide_load", stop


def prepare_database(url: str, env: dict) -> dict:
    """An empty schema, the plugin's migrations, the demo's seed, and a "first 40" cap on the shoe-care trio."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    flask = [str(BIN / "flask"), "--app", "demo"]
    for command in (["tsuide", "db", "upgrade"], ["demo", "seed"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    with engine.begin() as connection:
        trio = connection.execute(text(
            "SELECT r.id, r.pricing_value FROM tsuide_rules r WHERE r.kind = 'bundle' AND r.deleted_at IS NULL "
            "AND (SELECT count(*) FROM tsuide_rule_items i WHERE i.rule_id = r.id) = 3 ORDER BY r.id LIMIT 1"
        )).one()
        connection.execute(text("UPDATE tsuide_rules SET global_cap = 40, redeemed = 0 WHERE id = :id"),
                           {"id": trio.id})
        items = [row.product_id for row in connection.execute(
            text("SELECT product_id FROM tsuide_rule_items WHERE rule_id = :id"), {"id": trio.id})]
        products = [row.id for row in connection.execute(text("SELECT id FROM shop_products WHERE in_stock"))]
        shipping = connection.execute(text(
            "SELECT id, fee FROM tsuide_rules WHERE kind = 'shipping' AND deleted_at IS NULL ORDER BY id LIMIT 1")).one()
    engine.dispose()
    return {"trio": trio.id, "trio_items": items, "products": products, "shipping": shipping.id,
            "fee": shipping.fee}


class Client:
    """One browser: its cookies, and a record of every answer it got."""

    def __init__(self, base: str, log):
        self.base = base
        self.log = log
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, step: str, path: str, data: dict | None = None, headers: dict | None = None,
             json_body: dict | None = None, method: str | None = None) -> tuple[int, str, str]:
        body = None
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as answer:
                status, text, final = answer.status, answer.read().decode("utf-8", "replace"), answer.geturl()
        except urllib.error.HTTPError as error:
            status, text, final = error.code, error.read().decode("utf-8", "replace"), path
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            status, text, final = 0, "", path
        self.log(step, status, time.perf_counter() - started, started)
        return status, text, final


class Run:
    """Shared tallies of the run."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.statuses: list[tuple[float, float, str, int]] = []  # (start, end, step, status)
        self.orders: list[tuple[int, int]] = []  # (order id, total the shopper agreed to)
        self.accepts: list[tuple[int, int | None]] = []  # (order id, charge shown), for accepts answered "accepted"
        self.propagation: list[float] = []
        self.killed_at: float | None = None

    def log(self, step: str, status: int, seconds: float, started: float) -> None:
        with self.lock:
            self.samples[step].append(seconds)
            self.statuses.append((started, started + seconds, step, status))


def shopper(base: str, state: dict, run: Run, deadline: float, rng: random.Random) -> None:
    client = Client(base, run.log)
    while time.perf_counter() < deadline:
        status, page, _ = client.call("catalogue", "/")
        token = CSRF_INPUT.search(page)
        if status != 200 or not token:
            time.sleep(0.05)
            continue
        product = rng.choice(state["products"])
        client.call("product", f"/products/{product}")
        picks = state["trio_items"] if rng.random() < 0.4 else [product]
        for pick in picks:
            client.call("add", "/cart/add", {"product_id": pick, "quantity": 1, "csrf_token": token.group(1)})
        client.call("cart", "/cart")
        client.call("cart_api", "/tsuide/api/cart")
        status, page, _ = client.call("checkout_page", "/checkout")
        expected, token = EXPECTED.search(page), CSRF_INPUT.search(page)
        if status != 200 or not expected or not token:
            continue
        status, page, final = client.call("checkout", "/checkout", {
            "name": "Load", "card": CARD, "expected_total": expected.group(1), "csrf_token": token.group(1)})
        placed = THANKS.search(final or "")
        if not placed:
            continue
        with run.lock:
            run.orders.append((int(placed.group(1)), int(expected.group(1))))
        status, body, _ = client.call("offer", f"/tsuide/api/orders/{placed.group(1)}/offer")
        if status != 200:
            continue
        step = json.loads(body)
        csrf = PANEL_CSRF.search(step.get("panel_html") or "")
        if not step.get("offer") or not csrf:
            continue
        answer = {"offer_id": str(step["offer"]["id"])}
        headers = {"X-CSRFToken": csrf.group(1)}
        if rng.random() < 0.5:
            answer["idempotency_key"] = secrets.token_urlsafe(12)
            status, body, _ = client.call("accept", f"/tsuide/api/orders/{placed.group(1)}/offer/accept",
                                          json_body=answer, headers=headers)
            if status == 200 and json.loads(body).get("state") == "accepted":
                with run.lock:
                    run.accepts.append((int(placed.group(1)), step["offer"]["charge"]["amount"]))
        else:
            client.call("decline", f"/tsuide/api/orders/{placed.group(1)}/offer/decline", json_body=answer,
                        headers=headers)


def admin(base: str, state: dict, run: Run, deadline: float) -> None:
    """Every few seconds: change the shipping fee, then time until 20 answers in a row show it.

    The probe's cart (the trio's items) is under the free-shipping threshold, so the fee is in its total
    (the trio's own price would not do: once its "first 40" are gone, it no longer prices any cart)."""
    client, probe = Client(base, run.log), Client(base, run.log)
    _, page, _ = client.call("admin", "/")
    client.call("admin", "/account/admin", {"admin": "1", "csrf_token": CSRF_INPUT.search(page).group(1)})
    _, page, _ = probe.call("probe", "/")
    for pid in state["trio_items"]:
        probe.call("probe", "/cart/add", {"product_id": pid, "quantity": 1,
                                          "csrf_token": CSRF_INPUT.search(page).group(1)})
    _, page, _ = client.call("admin", "/tsuide/admin/bundles/")
    api_csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page)
    token = next(group for group in api_csrf.groups() if group) if api_csrf else ""
    fee = state["fee"]

    def probe_total() -> int | None:
        status, body, _ = probe.call("probe", "/tsuide/api/cart")
        return json.loads(body)["total"]["amount"] if status == 200 else None

    def probe_answer() -> tuple[float, int | None]:
        """When the answer was asked for, and the total it gave."""
        asked = time.perf_counter()
        return asked, probe_total()

    while time.perf_counter() + 6 < deadline:
        time.sleep(3)
        before = probe_total()
        status, body, _ = client.call("admin", f"/tsuide/admin/api/shipping-thresholds/{state['shipping']}")
        if status != 200 or before is None:
            continue
        version = json.loads(body)["version"]
        fee = state["fee"] + 100 if fee == state["fee"] else state["fee"]
        status, _, _ = client.call("admin_edit", f"/tsuide/admin/api/shipping-thresholds/{state['shipping']}",
                                   json_body={"fee": fee}, method="PATCH",
                                   headers={"If-Match": f'"{version}"', "X-CSRFToken": token})
        if status != 200:
            continue
        # Nothing else changes the probe's cart. Once 20 answers in a row show the edit, every worker has it;
        # the edit took as long to reach them all as the last answer that did not show it was asked after it.
        edited, in_a_row, last_stale = time.perf_counter(), 0, None
        while in_a_row < 20 and time.perf_counter() - edited < 20:
            asked, total = probe_answer()
            if total is not None and total != before:
                in_a_row += 1
            else:
                in_a_row, last_stale = 0, asked
        if in_a_row >= 20:
            with run.lock:
                run.propagation.append(0.0 if last_stale is None else last_stale - edited)


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def baseline(base: str, state: dict, seconds: float, clients: int) -> float:
    """Requests a second on a bare endpoint of the shop (a product image, no plugin), after a warm-up."""
    count, lock = [0], threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop():
        client = Client(base, lambda *args: None)
        while time.perf_counter() < deadline:
            status, _, _ = client.call("image", f"/images/{state['products'][0]}.svg")
            if status == 200:
                with lock:
                    count[0] += 1

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0] / seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("TSUIDE_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    stop_postgres = lambda: None  # noqa: E731
    url = args.database_url
    if not url:
        if os.geteuid() != 0:
            sys.exit("load_and_fault: pass --database-url (PostgreSQL) or run as root to start a throw-away one")
        url, stop_postgres = start_postgres()
    env = {**os.environ, "DEMO_DATABASE_URL": url, "DEMO_SECRET_KEY": secrets.token_hex(16),
           "PYTHONPATH": str(ROOT)}
    server = None
    try:
        state = prepare_database(url, env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(args.workers), "--threads", str(args.threads), "-b",
             f"127.0.0.1:{port}", "--timeout", "30", "--log-level", "warning", "demo:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        baseline(base, state, 2, 8)  # warm-up: every worker loads the app and the rules
        base_rate = baseline(base, state, 5, min(args.shoppers, 32))

        run = Run()
        started = time.perf_counter()
        deadline = started + args.seconds
        threads = [threading.Thread(target=shopper, args=(base, state, run, deadline, random.Random(n)))
                   for n in range(args.shoppers)]
        threads.append(threading.Thread(target=admin, args=(base, state, run, deadline)))
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 2)
        victims = workers_of(server.pid)
        if victims:
            os.kill(victims[0], signal.SIGKILL)
            run.killed_at = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    report(run, state, url, elapsed, base_rate, args)
    stop_postgres()
    return 0


def report(run: Run, state: dict, url: str, elapsed: float, base_rate: float, args) -> None:
    from sqlalchemy import create_engine, text

    total = sum(len(values) for values in run.samples.values())
    shopper_steps = [step for step in run.samples if not step.startswith(("admin", "probe"))]
    def in_flight(started: float, ended: float) -> bool:  # on the killed worker, or queued for it
        return run.killed_at is not None and started <= run.killed_at + 0.5 and ended >= run.killed_at

    failed = [(started, ended, step, status) for started, ended, step, status in run.statuses
              if status >= 500 or status == 0]
    errors_outside = [(step, status) for started, ended, step, status in failed if not in_flight(started, ended)]
    server_errors = sum(1 for *_, status in failed if status >= 500)
    engine = create_engine(url)
    with engine.connect() as connection:
        oversold = connection.execute(text(
            "SELECT count(*) FROM tsuide_rules WHERE global_cap IS NOT NULL AND redeemed > global_cap")).scalar()
        redeemed = connection.execute(text("SELECT redeemed, global_cap FROM tsuide_rules WHERE id = :id"),
                                      {"id": state["trio"]}).one()
        pp_oversold = connection.execute(text(
            "SELECT count(*) FROM tsuide_pp_offers WHERE global_cap IS NOT NULL AND accepted > global_cap")).scalar()
        totals = dict(connection.execute(text(
            "SELECT o.id, o.total - coalesce((SELECT sum(p.amount) FROM shop_payments p WHERE p.order_id = o.id), 0) "
            "FROM shop_orders o")).all())
        paid = dict(connection.execute(text("SELECT order_id, sum(amount) FROM shop_payments GROUP BY order_id")).all())
    engine.dispose()
    mismatched = sum(1 for order_id, agreed in run.orders if totals.get(order_id) != agreed)
    accepted = [(order_id, charge) for order_id, charge in run.accepts if charge is not None]
    charged_other = sum(1 for order_id, charge in accepted if paid.get(order_id) != charge)
    rate = sum(len(run.samples[step]) for step in shopper_steps) / elapsed
    print(f"Load and faults: demo under gunicorn ({args.workers} workers x {args.threads} threads) on PostgreSQL, "
          f"{args.shoppers} shoppers, {elapsed:.0f} s; one worker killed at half time")
    print(f"  baseline, a bare shop endpoint: {base_rate:.0f} req/s")
    print(f"  shopper requests: {rate:.0f} req/s ({rate / base_rate:.2f} x baseline), {total} requests in all")
    print(f"  {'step':14s} {'count':>7s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for step in sorted(run.samples):
        values = run.samples[step]
        print(f"  {step:14s} {len(values):7d} {statistics.median(values) * 1e3:8.1f} {percentile(values, .99) * 1e3:8.1f}")
    print(f"  5xx or dropped: {len(failed)} ({server_errors} 5xx; {len(failed) - len(errors_outside)} in flight when "
          f"the worker was killed, {len(errors_outside)} otherwise)"
          f"{'' if not errors_outside else ': ' + str(errors_outside[:10])}")
    print(f"  orders: {len(run.orders)}; charged differently from the total agreed to: {mismatched}")
    print(f"  thank-you accepts: {len(accepted)}; charged differently from the charge shown: {charged_other}")
    print(f"  caps: trio redeemed {redeemed.redeemed} of {redeemed.global_cap}; oversold rules: {oversold}; "
          f"oversold thank-you offers: {pp_oversold}")
    if run.propagation:
        print(f"  a rule edit reached every worker in (the last answer without it, asked after the edit): "
              f"median {statistics.median(run.propagation) * 1e3:.0f} ms, max {max(run.propagation) * 1e3:.0f} ms "
              f"({len(run.propagation)} edits, each followed by 20 answers in a row with it)")
    else:
        print("  a rule edit reached every worker in: no edit measured")


if __name__ == "__main__":
    sys.exit(main())
