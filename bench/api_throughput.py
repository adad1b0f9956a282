"""Requests per second and latency of the cart API under gunicorn, against a bare Flask endpoint.

Run it with ``.venv/bin/python bench/api_throughput.py`` (about 30 s, 60 s at most). It:

- makes the demo shop on a temporary SQLite file (``plugin.storage.migrate.upgrade`` and
  ``demo.seed.seed_all()``, so the plugin holds the demo's real rules);
- serves it with gunicorn (``demo:create_app()``, 2 workers) on 127.0.0.1, fills a
  cart the way a shopper does (GET ``/`` for the CSRF token, POST ``/cart/add`` for
  health food, sneakers and a camera) and keeps the session cookie, which holds the cart;
- serves a bare Flask app the same way (:func:`bare_app`): one endpoint that answers
  with the same JSON body ``GET /tsuide/api/cart`` gave, so both send the same bytes and
  the difference is the work behind them;
- loads both from a second process on loopback (:func:`generate_load`: keep-alive
  ``http.client`` connections in threads, a warm-up, then a fixed number of requests
  per connection), taking turns between the two in rounds so that noise on the shared
  machine falls on both alike, and reports requests/s, p50 and p99 and their ratios;
- counts SQL statements per warm ``GET /tsuide/api/cart`` in-process (Flask test
  client, a ``before_cursor_execute`` listener), split into the plugin's (statements
  naming a ``tsuide_`` table) and the demo adapter's (its catalogue look-ups);
- reports the size of ``static/widget.js``, raw and gzipped at level 9.
- with ``--breakdown``, times each part of warm requests in-process (:func:`breakdown`): the
  adapter's calls, the plugin's query, the engine, the panel, its two tokens, the JSON, and the rest;
  with ``--new-visitors`` also the cart API for a visitor the worker has not seen (nothing of theirs kept).

With ``--baseline REF`` (a git commit, tag or branch) it also serves the demo as it was at
``REF``, extracted with ``git archive`` into the temporary folder with its own seeded
database, and loads it in the same rounds with the same session cookie: "cart ÷ baseline"
is then this checkout's cart API against the older one's, measured side by side, which
is how a change is held to "no more than 10% slower". With ``--breakdown`` as well, each checkout's
:func:`breakdown` also runs three times in fresh processes taking turns (:func:`cpu_ratio`): the CPU ratio
"adapter only ÷ cart API" of both, steadier than the served figures on a shared machine.

The shop runs with the holdout set to 0% (an admin setting), so the shopper always gets
the offers and the bench measures the work of pricing them.

Workers are gunicorn's ``gthread`` class with one thread each (``--worker-class sync``
to compare): gunicorn's sync workers close the connection after every response, so
each request would also pay a TCP connect, and a browser's widget talks to the shop
over a kept-alive connection (behind a proxy, or directly). One thread per worker
because the work is CPU-bound and the machine has 2 cores: more threads only contend
for the GIL.

Exits 1 when the plugin makes more than one SQL query per warm request, 2 when the
servers fail to answer (an error, or a cart the shop priced differently from the
in-process one). Timings are printed, never asserted: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Flask, SQLAlchemy, the plugin and the demo are imported inside the functions that use them: the load
# generator runs this file in a second process and needs the standard library only, so it starts fast.

ROOT = Path(__file__).resolve().parent.parent
WIDGET = ROOT / "static" / "widget.js"
WIDGET_BUDGET = 6 * 1024

#: The shopper's cart: (product id, quantity), added through the shop's own form.
CART = (("healthfood", 1), ("sneakers", 1), ("camera", 1))
API_PATH = "/tsuide/api/cart"
BARE_PATH = "/api/cart"
#: The demo's endpoint that does only the adapter's own work (see :func:`adapter_app`).
ADAPTER_PATH = "/bench/adapter-only"
#: What the cart API should reach of the adapter-only endpoint's requests per second (issue "What the shopper sees").
ADAPTER_SHARE_TARGET = 0.5
WORKERS = 2
SECRET_KEY = "tsuide-bench-not-secret"
#: The bare app reads the JSON body it answers with from this file.
BODY_ENV = "TSUIDE_BENCH_BODY"
MAX_PLUGIN_QUERIES = 1
#: Seconds a server may take to answer its first request.
START_TIMEOUT_S = 30
#: Seconds gunicorn gets to stop gracefully before it is killed.
STOP_TIMEOUT_S = 10


# -- the bare endpoint (imported by gunicorn) ---------------------------------------------------


def bare_app():
    """A Flask app with one JSON endpoint and nothing behind it, for ``gunicorn 'bench.api_throughput:bare_app()'``.

    It answers ``GET /api/cart`` with the body in the file named by ``TSUIDE_BENCH_BODY`` (the body the
    real endpoint gave), encoded from the parsed body on each request as the cart API encodes its answer
    (compact UTF-8 JSON in a Response), so both send the same bytes; and it has the shop's ``SECRET_KEY``,
    so Flask decodes the same session cookie as it does in the shop.
    """
    from flask import Flask, Response

    body = json.loads(Path(os.environ[BODY_ENV]).read_text(encoding="utf-8"))
    app = Flask("tsuide_bare")
    app.config["SECRET_KEY"] = SECRET_KEY

    @app.get(BARE_PATH)
    def cart():
        return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")

    return app


def adapter_app():
    """The demo shop with one more endpoint that does only the adapter's own work, for gunicorn.

    ``GET /bench/adapter-only`` reads the shopper's cart (``current_cart``) and its catalogue entries
    (``products``), as the cart API must, and answers with the same JSON body the cart API gave, so
    "cart ÷ adapter-only" is the plugin's own cost on top of what any cart page of the shop pays.
    """
    from flask import Response, current_app

    from demo import create_app

    body = Path(os.environ[BODY_ENV]).read_bytes()
    app = create_app()

    @app.get(ADAPTER_PATH)
    def adapter_only():
        adapter = current_app.extensions["tsuide"]._adapter
        cart = adapter.current_cart()
        adapter.products({line.product_id for line in cart.lines})
        return Response(body, mimetype="application/json")

    return app


# -- the load generator (a second process) ------------------------------------------------------


def generate_load(spec: dict) -> dict:
    """Send ``spec["requests"]`` GETs on each of ``spec["connections"]`` keep-alive connections.

    Every connection first sends ``spec["warmup"]`` untimed requests; then all of them
    start together and each records the latency of every request (send to last byte
    read). A connection stops early at ``spec["deadline_s"]`` after the start. Answers
    with the latencies in µs, the wall time from the start to the last answer, the
    errors, the body size seen, and this process's CPU time over the timed part.
    """
    import http.client

    connections = spec["connections"]
    start = threading.Barrier(connections + 1)
    latencies: list[list[int]] = [[] for _ in range(connections)]
    finished = [0.0] * connections
    errors: list[str] = []
    sizes: set[int] = set()

    def request(connection: http.client.HTTPConnection) -> tuple[int, int]:
        connection.request("GET", spec["path"], headers=spec["headers"])
        response = connection.getresponse()
        body = response.read()
        return response.status, len(body)

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(spec["host"], spec["port"], timeout=10)
        try:
            for _ in range(spec["warmup"]):
                request(connection)
        except Exception as error:  # reported below, the timed part still runs
            errors.append(f"warm-up: {error!r}")
        start.wait()
        deadline = time.perf_counter() + spec["deadline_s"]
        samples = latencies[index]
        for _ in range(spec["requests"]):
            began = time.perf_counter_ns()
            try:
                status, size = request(connection)
            except Exception as error:
                errors.append(repr(error))
                connection.close()  # http.client reconnects on the next request
                continue
            samples.append((time.perf_counter_ns() - began) // 1_000)
            if status != 200:
                errors.append(f"HTTP {status}")
            sizes.add(size)
            if time.perf_counter() > deadline:
                break
        finished[index] = time.perf_counter()
        connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu
    elapsed = max(finished) - began
    return {
        "latencies_us": [sample for samples in latencies for sample in samples],
        "elapsed_s": elapsed,
        "truncated": any(len(samples) < spec["requests"] for samples in latencies),
        "errors": errors[:10],
        "error_count": len(errors),
        "sizes": sorted(sizes),
        "client_cpu_share": cpu / elapsed if elapsed else 0.0,
    }


def run_load(spec: dict) -> dict:
    """Run :func:`generate_load` in a fresh Python process and read its answer."""
    finished = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--generate-load", json.dumps(spec)],
        capture_output=True, text=True, timeout=spec["deadline_s"] + 60, check=False,
    )
    if finished.returncode:
        raise RuntimeError(f"the load generator failed:\n{finished.stderr}")
    return json.loads(finished.stdout)


# -- the servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_gunicorn(name: str, app: str, env: dict[str, str], directory: Path, worker_class: str,
                   ready_path: str, root: Path = ROOT) -> Server:
    """Start gunicorn on a free loopback port and wait until ``ready_path`` answers 200."""
    import http.client

    port = free_port()
    log = directory / f"{name}.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS), "--worker-class", worker_class, "--threads", "1",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(root),
        "--error-logfile", str(log), "--log-level", "warning",
        app,
    ]
    # Its own session, so the fallback in stop() can reach the workers too.
    # ``python -m`` puts the working directory first on sys.path: the tree served must be the one imported.
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=root, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    server = Server(name, process, port, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ({name}) exited with {process.returncode}:\n{server.log_tail()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready_path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"gunicorn ({name}) did not answer within {START_TIMEOUT_S} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """SIGTERM to the gunicorn master (a graceful stop); SIGKILL to its process group if it lingers."""
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(STOP_TIMEOUT_S)


# -- the shop -----------------------------------------------------------------------------------


def make_shop(database_url: str) -> dict[str, int]:
    """Migrate and seed the demo shop's database; answers with what was seeded."""
    from demo import create_app
    from demo.extensions import db
    from demo.seed import seed_all
    from plugin.storage import migrate

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        migrate.upgrade(db.engine)
        made = seed_all()
        try:
            from plugin.models import Setting
        except ImportError:  # pragma: no cover - an old baseline
            Setting = None
        if Setting is not None and "holdout_percent" in _setting_names():
            db.session.merge(Setting(key="holdout_percent", value=0))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return made


def _setting_names() -> set[str]:
    from plugin.admin.schemas import SETTING_KEYS

    return set(SETTING_KEYS)


def cart_median_ms(tree: Path, database_url: str, cookie: str, body_file: Path) -> float:
    """Median in-process warm ``GET /tsuide/api/cart`` of the checkout in ``tree``, in a fresh process."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from bench.api_throughput import in_process; "
            "print(in_process(sys.argv[2], sys.argv[3], Path(sys.argv[4]), 300, False).cart_median_us / 1e3)")
    return float(_last_line_in(tree, code, database_url, cookie, str(body_file)))


def cpu_ratio(tree: Path, database_url: str, cookie: str, requests: int = 800) -> tuple[float, float]:
    """The checkout in ``tree``'s :func:`breakdown` in a fresh process: mean CPU µs of a warm cart API request and of
    an adapter-only one (taking turns), the figure ``--breakdown --baseline`` compares between two checkouts."""
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); from bench.api_throughput import breakdown; "
            "parts = breakdown(sys.argv[2], sys.argv[3], int(sys.argv[4])); "
            "print(json.dumps([parts[0]['the whole request'], parts[1]['the whole request']]))")
    cart, adapter = json.loads(_last_line_in(tree, code, database_url, cookie, str(requests)))
    return cart, adapter


def _last_line_in(tree: Path, code: str, *args: str) -> str:
    """The last line ``code`` prints, run in a fresh process on the checkout in ``tree`` (its first argument)."""
    done = subprocess.run([sys.executable, "-c", code, str(tree), *args], check=True, cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def make_baseline(ref: str, directory: Path, database_url: str) -> Path:
    """The checkout as it was at ``ref``, in ``directory``, with the demo seeded into ``database_url``."""
    tree = directory / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from bench.api_throughput import make_shop; "
            "print(make_shop(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", code, str(tree), database_url], check=True, cwd=tree,
                   env={**os.environ, "PYTHONPATH": str(tree)}, stdout=subprocess.DEVNULL)
    return tree


def fill_cart(port: int) -> str:
    """Shop like a browser: the CSRF token from the home page, one form post per product.

    Answers with the ``Cookie`` header a browser would send: the session cookie (``session=...``,
    first) that holds the cart, and Tsuide's visitor id. Redirects are followed, so the cart page
    renders the flashed messages and they leave the cookie.
    """
    import re
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/", timeout=10) as response:
        page = response.read().decode("utf-8")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("no csrf_token field on the shop's home page")
    for product_id, quantity in CART:
        form = {"product_id": product_id, "quantity": str(quantity), "csrf_token": found.group(1)}
        with opener.open(f"{base}/cart/add", data=urllib.parse.urlencode(form).encode(), timeout=10) as response:
            response.read()
    cookies = sorted((cookie.name != "session", f"{cookie.name}={cookie.value}") for cookie in jar)
    if not cookies or cookies[0][0]:
        raise RuntimeError("the shop set no session cookie")
    return "; ".join(pair for _, pair in cookies)


def fetch(port: int, path: str, cookie: str) -> tuple[int, dict[str, str], bytes]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def describe_body(body: dict) -> str:
    discounts = ", ".join(f"rule {d['rule_id']} -{d['amount']['amount']:,}" for d in body["discounts"])
    offers = ", ".join(f"{o['kind']} rule {o['rule_id']}" for o in body["offers"])
    return (
        f"{len(body['lines'])} lines, subtotal ¥{body['subtotal']['amount']:,}, discounts [{discounts}], "
        f"shipping ¥{body['shipping_fee']['amount']:,}, total ¥{body['total']['amount']:,}; "
        f"offers [{offers}]; {len(body['gap_fillers'])} gap fillers"
    )


def priced(body: dict) -> dict:
    """The parts of an API answer that are prices (the panel carries a fresh CSRF token each time, and the
    beacon token is signed with the time)."""
    return {key: value for key, value in body.items() if key not in ("panel_html", "beacon_token")}


# -- in-process: SQL per request, and where the time goes ---------------------------------------


@dataclass
class InProcess:
    plugin_queries: float
    adapter_queries: float
    plugin_statements: list[tuple[str, float]]
    adapter_statements: list[tuple[str, float]]
    cart_median_us: float
    bare_median_us: float
    body: dict
    profile: str | None = None


def in_process(database_url: str, cookie: str, body_file: Path, runs: int, profile: bool) -> InProcess:
    """Count the SQL of warm ``GET /tsuide/api/cart`` requests and time them, with Flask's test client."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event

    from demo import create_app
    from demo.extensions import db

    pairs = [part.partition("=")[::2] for part in cookie.split("; ")]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})
    client = app.test_client()
    for name, value in pairs:
        client.set_cookie(name, value)
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()))

    def get(path: str, test_client) -> dict:
        response = test_client.get(path, headers={"Accept": "application/json"})
        if response.status_code != 200:
            answer = response.get_data(as_text=True)[:300]
            raise RuntimeError(f"in-process GET {path} answered {response.status_code}: {answer}")
        return response.get_json()

    with app.app_context():
        engine = db.engine
    for _ in range(3):  # the first loads the rules into this worker's cache
        get(API_PATH, client)
    event.listen(engine, "before_cursor_execute", record)
    try:
        counted = 20
        for _ in range(counted):
            body = get(API_PATH, client)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    plugin = [statement for statement in statements if "tsuide_" in statement]
    adapter = [statement for statement in statements if "tsuide_" not in statement]

    cart_samples = time_requests(lambda: get(API_PATH, client), runs)
    os.environ[BODY_ENV] = str(body_file)
    bare_client = bare_app().test_client()
    for name, value in pairs:
        bare_client.set_cookie(name, value)
    bare_samples = time_requests(lambda: get(BARE_PATH, bare_client), runs)

    report = None
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            get(API_PATH, client)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        report = out.getvalue()
    with app.app_context():
        db.engine.dispose()
    return InProcess(
        plugin_queries=len(plugin) / counted,
        adapter_queries=len(adapter) / counted,
        plugin_statements=[(statement, times / counted) for statement, times in Counter(plugin).items()],
        adapter_statements=[(statement, times / counted) for statement, times in Counter(adapter).items()],
        cart_median_us=percentile(cart_samples, 50),
        bare_median_us=percentile(bare_samples, 50),
        body=body,
        profile=report,
    )


def time_requests(call, runs: int) -> list[int]:
    for _ in range(runs // 10):
        call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - began) // 1_000)
    return samples


#: The breakdown's third turn (``--new-visitors``): the cart API for a visitor the worker has not seen yet.
NEW_VISITOR = "new visitor"


def breakdown(database_url: str, cookie: str, requests: int = 600,
              new_visitors: bool = False) -> tuple[dict[str, float], ...]:
    """Where a warm ``GET /tsuide/api/cart`` spends its CPU time, inside real requests (Flask's test client).

    The parts a request calls are wrapped with a CPU clock (``time.process_time``: time the machine gave to
    other work is not counted), and ``requests`` requests of the cart API and of the adapter-only endpoint
    (which answers with the same bytes) take turns. Answers, for each endpoint, the mean CPU µs per request of
    each part and of the whole request; "the rest" is Flask, Werkzeug and the plugin's own glue (locale,
    visitor, A/B exposure, the urgency check, the catalogue's rule look-ups), each too small to wrap alone.

    The bench's requests are one visitor's, repeated: what the plugin keeps per visitor (the verified cookie, the
    A/B exposure) is found kept. With ``new_visitors`` a third turn sends the same cart with the signed cookie of a
    visitor the worker has never seen, a new one each request (signed before the clock starts), as a shopper's
    first request after a restart or the first of a visitor from another worker: nothing of theirs is kept. It is
    answered as a third dict.
    """
    import flask

    from demo import create_app
    from plugin import extension, routes
    from plugin.storage import rule_cache
    from plugin.storefront import beacons, panels
    from plugin.storefront.visitor import VISITOR_KEY, visitor_cookie

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})
    headers = {"Accept": "application/json"}
    client = app.test_client()
    fresh_client = app.test_client()
    for name, value in (part.partition("=")[::2] for part in cookie.split("; ")):
        client.set_cookie(name, value)
        fresh_client.set_cookie(name, value)
    fresh_cookies: list[str] = []
    if new_visitors:
        import secrets

        with app.test_request_context():
            fresh_cookies = [visitor_cookie(secrets.token_hex(8)) for _ in range(requests + 30)]
    answer: list[bytes] = []

    @app.get(ADAPTER_PATH)
    def adapter_only():
        adapter = flask.current_app.extensions["tsuide"]._adapter
        cart = adapter.current_cart()
        adapter.products({line.product_id for line in cart.lines})
        return flask.Response(answer[0], mimetype="application/json")

    answer.append(client.get(API_PATH, headers=headers).get_data())  # the same bytes as the cart API
    spent: dict[str, float] = Counter()
    inner: list[float] = []  # per wrapped call running, the time of the wrapped parts it called

    def timed(name, function):
        def wrapper(*args, **kwargs):
            inner.append(0.0)
            began = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.process_time() - began
                spent[name] += elapsed - inner.pop()  # a wrapped part inside another (a token in the panel) once
                if inner:
                    inner[-1] += elapsed
        return wrapper

    with app.app_context():
        adapter = app.extensions["tsuide"]._adapter
    originals = [(adapter, "current_cart", adapter.current_cart), (adapter, "products", adapter.products),
                 (rule_cache.RuleStore, "_read_stamp", rule_cache.RuleStore.__dict__["_read_stamp"]),
                 (extension, "quote_cart", extension.quote_cart),
                 (routes, "render_cart_panel", routes.render_cart_panel), (routes, "quote_json", routes.quote_json),
                 (routes, "_cart_json", routes._cart_json), (panels, "generate_csrf_token", panels.generate_csrf_token),
                 (panels, "beacon_token", panels.beacon_token), (beacons, "beacon_token", beacons.beacon_token)]
    names = {"current_cart": "adapter: current_cart()", "products": "adapter: products()",
             "_read_stamp": "plugin: its one SQL query (version stamp, caps)",
             "quote_cart": "engine: quote_cart (the cart and its offers' carts)",
             "render_cart_panel": "plugin: panel_html (Jinja and the panel's words)",
             "generate_csrf_token": "plugin: the panel's CSRF token (Flask-WTF's, kept)",
             "beacon_token": "plugin: the beacon token",
             "quote_json": "plugin: the quote as JSON", "_cart_json": "plugin: encoding the answer (and its Response)"}
    for owner, attribute, original in originals:
        function = original.__func__ if isinstance(original, staticmethod) else original
        wrapped = timed(names[attribute], function)
        setattr(owner, attribute, staticmethod(wrapped) if isinstance(original, staticmethod) else wrapped)
    turns = (API_PATH, ADAPTER_PATH, NEW_VISITOR) if new_visitors else (API_PATH, ADAPTER_PATH)

    def call(path: str) -> int:
        if path == NEW_VISITOR:
            fresh_client.set_cookie(VISITOR_KEY, fresh_cookies.pop())
            return fresh_client.get(API_PATH, headers=headers).status_code
        return client.get(path, headers=headers).status_code

    try:
        for _ in range(30):
            for path in turns:
                call(path)
        totals: dict[str, dict[str, float]] = {path: Counter() for path in turns}
        for _ in range(requests):
            for path in turns:
                spent.clear()
                began = time.process_time()
                status = call(path)
                whole = time.process_time() - began
                if status != 200:
                    raise RuntimeError(f"in-process GET {path} answered {status}")
                totals[path]["the whole request"] += whole
                for name, seconds in spent.items():
                    totals[path][name] += seconds
                totals[path]["the rest: Flask, Werkzeug, the plugin's glue"] += whole - sum(spent.values())
    finally:
        for owner, attribute, original in originals:
            setattr(owner, attribute, original)
    return tuple({name: seconds / requests * 1e6 for name, seconds in totals[path].items()} for path in turns)


# -- figures ------------------------------------------------------------------------------------


def print_breakdown(parts: Sequence[dict[str, float]]) -> None:
    """The table of :func:`breakdown`: each part for the cart API and the adapter-only endpoint, and with
    ``--new-visitors`` the cart API for a new visitor each request."""
    cart_parts, adapter_parts = parts[0], parts[1]
    fresh = parts[2] if len(parts) > 2 else None
    print("\nCPU time per warm request, in-process (mean µs over 600 requests each, taking turns):")
    print(f"  {'part':<52} {'cart API':>9} {'adapter only':>13} {'difference':>11}"
          + (f" {'new visitor':>12}" if fresh else ""))
    for name in cart_parts:
        mine, theirs = cart_parts[name], adapter_parts.get(name, 0.0)
        print(f"  {name:<52} {mine:>9,.0f} {theirs:>13,.0f} {mine - theirs:>11,.0f}"
              + (f" {fresh.get(name, 0.0):>12,.0f}" if fresh else ""))
    adapter_whole = adapter_parts["the whole request"]
    print(f"  {'requests/s one core could serve, ratio':<52} {1e6 / cart_parts['the whole request']:>9,.0f} "
          f"{1e6 / adapter_whole:>13,.0f} {adapter_whole / cart_parts['the whole request']:>11.2f}"
          + (f" {adapter_whole / fresh['the whole request']:>12.2f}" if fresh else ""))
    if fresh:
        print("  (ratio: adapter only ÷ the column's whole request; \"new visitor\" is the cart API with a visitor the "
              "worker has not seen, a new one each request)")


def percentile(samples: Sequence[int], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * percent // 100))
    return float(ordered[int(rank) - 1])


@dataclass
class Load:
    name: str
    samples_us: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    rounds_rps: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    truncated: bool = False
    sizes: set[int] = field(default_factory=set)

    def add(self, result: dict) -> None:
        self.samples_us += result["latencies_us"]
        self.elapsed_s += result["elapsed_s"]
        self.rounds_rps.append(len(result["latencies_us"]) / result["elapsed_s"])
        self.client_cpu.append(result["client_cpu_share"])
        self.errors += result["errors"]
        self.error_count += result["error_count"]
        self.truncated |= result["truncated"]
        self.sizes |= set(result["sizes"])

    @property
    def rps(self) -> float:
        return len(self.samples_us) / self.elapsed_s

    @property
    def p50_ms(self) -> float:
        return percentile(self.samples_us, 50) / 1e3

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples_us, 99) / 1e3


def shorten(statement: str, width: int = 100) -> str:
    """A statement on one line, its column list replaced by a count, so the FROM and WHERE clauses show."""
    head, found, tail = statement.partition(" FROM ")
    if found and head.startswith("SELECT ") and len(head) > 40:
        head = f"SELECT <{head.count(',') + 1} columns>"
    short = f"{head}{found}{tail}"
    return short if len(short) <= width else f"{short[:width - 1]}…"


def widget_sizes() -> tuple[int, int]:
    raw = WIDGET.read_bytes()
    return len(raw), len(gzip.compress(raw, compresslevel=9, mtime=0))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="turns each endpoint gets (default 3)")
    parser.add_argument("--requests", type=int, default=400,
                        help="timed requests per connection per round (default 400)")
    parser.add_argument("--warmup", type=int, default=25, help="untimed requests per connection first (default 25)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections (default 4)")
    parser.add_argument("--deadline", type=float, default=8.0, help="seconds one turn may last at most (default 8)")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"),
                        help="gunicorn worker class (default gthread, one thread per worker)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of warm GET /tsuide/api/cart requests in-process")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time each part of warm GET /tsuide/api/cart requests in-process (CPU µs)")
    parser.add_argument("--new-visitors", action="store_true",
                        help="with --breakdown, also time the cart API for a new visitor each request (nothing kept)")
    parser.add_argument("--baseline", metavar="REF",
                        help="also load the cart API as it was at this git commit, in the same rounds")
    parser.add_argument("--generate-load", metavar="JSON", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.generate_load:
        json.dump(generate_load(json.loads(options.generate_load)), sys.stdout)
        return 0

    wall = time.perf_counter()
    if str(ROOT) not in sys.path:  # the demo shop is not installed; it sits beside the plugin in the checkout
        sys.path.insert(0, str(ROOT))
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="tsuide-api-bench-") as directory:
        temp = Path(directory)
        database_url = f"sqlite:///{temp / 'shop.sqlite'}"
        body_file = temp / "body.json"
        try:
            made = make_shop(database_url)
            env = {"DEMO_DATABASE_URL": database_url, "DEMO_SECRET_KEY": SECRET_KEY, BODY_ENV: str(body_file)}
            shop = start_gunicorn("shop", "demo:create_app()", env, temp, options.worker_class, "/")
            servers.append(shop)
            cookie = fill_cart(shop.port)
            status, headers, raw_body = fetch(shop.port, API_PATH, cookie)
            if status != 200:
                raise RuntimeError(f"GET {API_PATH} answered {status}: {raw_body[:300]!r}\n{shop.log_tail()}")
            served_body = json.loads(raw_body)
            body_file.write_bytes(raw_body)
            sets_cookie = "Set-Cookie" in headers
            bare = start_gunicorn("bare", "bench.api_throughput:bare_app()", env, temp, options.worker_class,
                                  BARE_PATH)
            servers.append(bare)
            adapter_only = start_gunicorn("adapter", "bench.api_throughput:adapter_app()", env, temp,
                                          options.worker_class, "/")
            servers.append(adapter_only)

            loads = {"bare": Load("bare Flask JSON"), "adapter": Load("adapter only"), "cart": Load(f"GET {API_PATH}")}
            targets = {"bare": (bare.port, BARE_PATH), "adapter": (adapter_only.port, ADAPTER_PATH),
                       "cart": (shop.port, API_PATH)}
            if options.baseline:
                baseline_url = f"sqlite:///{temp / 'baseline.sqlite'}"
                tree = make_baseline(options.baseline, temp, baseline_url)
                old = start_gunicorn("baseline", "demo:create_app()",
                                     {**env, "DEMO_DATABASE_URL": baseline_url, "PYTHONPATH": str(tree)}, temp,
                                     options.worker_class, "/", root=tree)
                servers.append(old)
                loads["baseline"] = Load(f"{API_PATH} at {options.baseline[:12]}")
                targets["baseline"] = (old.port, API_PATH)
            for _ in range(options.rounds):
                for key, (port, path) in targets.items():
                    loads[key].add(run_load({
                        "host": "127.0.0.1", "port": port, "path": path,
                        "headers": {"Cookie": cookie, "Accept": "application/json"},
                        "connections": options.connections, "warmup": options.warmup,
                        "requests": options.requests, "deadline_s": options.deadline,
                    }))
            server_errors = {server.name: server.log_tail(10) for server in servers
                             if "Traceback" in server.log.read_text(encoding="utf-8", errors="replace")}
        finally:
            for server in servers:
                stop(server)
        local = in_process(database_url, cookie, body_file, 300, options.profile)
        parts = breakdown(database_url, cookie, new_visitors=options.new_visitors) if options.breakdown else ()
        side_by_side: list[tuple[float, float]] = []
        cpu_turns: list[tuple[tuple[float, float], tuple[float, float]]] = []
        if options.baseline and options.breakdown:  # the CPU ratio of each checkout, fresh processes taking turns
            for _ in range(3):
                cpu_turns.append((cpu_ratio(ROOT, database_url, cookie), cpu_ratio(tree, baseline_url, cookie)))
        if options.baseline:  # in fresh processes, taking turns: steadier than the servers' figures
            for _ in range(3):
                # The same cookies for both, the visitor's among them: without it a checkout that reads the
                # visitor from its cookie draws a new visitor (and A/B variants) on every request; one older than
                # that cookie ignores it and reads the session's.
                side_by_side.append((cart_median_ms(ROOT, database_url, cookie, body_file),
                                     cart_median_ms(tree, baseline_url, cookie, body_file)))

    raw, zipped = widget_sizes()
    bare_load, cart_load = loads["bare"], loads["cart"]

    print("Tsuide cart API under gunicorn")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, shared by both "
        f"servers and the load generator; gunicorn {WORKERS} × {options.worker_class} workers"
        f"{' (1 thread each)' if options.worker_class == 'gthread' else ''} on 127.0.0.1"
    )
    print(
        f"Load: one Python process, {options.connections} keep-alive connections"
        f"{' (sync workers close each after one answer)' if options.worker_class == 'sync' else ''}, "
        f"{options.warmup} warm-up then "
        f"{options.requests:,} timed requests per connection, {options.rounds} rounds taking turns "
        f"(bare, adapter only, then cart)"
    )
    print(f"Shop: demo seeded on SQLite ({made['rules']} rules, {made['products']} products); "
          f"cart {', '.join(f'{pid} ×{qty}' for pid, qty in CART)} in the session cookie")
    print(f"The cart's quote: {describe_body(served_body)}")
    print(f"Both endpoints send the same {len(raw_body):,}-byte JSON body"
          f"{'; /api/cart also sets a cookie' if sets_cookie else ''}\n")

    print(f"  {'endpoint':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}  req/s by round")
    for load in loads.values():
        rounds = " / ".join(f"{rps:,.0f}" for rps in load.rounds_rps)
        print(f"  {load.name:<24} {load.rps:>8,.0f} {load.p50_ms:>8.2f} {load.p99_ms:>8.2f} "
              f"{len(load.samples_us):>9,}  {rounds}")
    print(f"  {'bare ÷ cart (req/s)':<24} {bare_load.rps / cart_load.rps:>8.2f}")
    adapter_share = cart_load.rps / loads["adapter"].rps
    print(f"  {'cart ÷ adapter only':<24} {adapter_share:>8.2f}   (target at least {ADAPTER_SHARE_TARGET}: "
          f"{'met' if adapter_share >= ADAPTER_SHARE_TARGET else 'NOT met'})")
    if "baseline" in loads:
        old_load = loads["baseline"]
        print(f"  {'cart ÷ baseline (req/s)':<24} {cart_load.rps / old_load.rps:>8.2f}"
              f"   (p50 {cart_load.p50_ms / old_load.p50_ms:.2f}×, p99 {cart_load.p99_ms / old_load.p99_ms:.2f}×"
              f" the baseline's latency)")
    print(f"  {'cart ÷ bare (latency)':<24} {'':>8} {cart_load.p50_ms / bare_load.p50_ms:>8.2f} "
          f"{cart_load.p99_ms / bare_load.p99_ms:>8.2f}")
    cpu = ", ".join(f"{name} {sum(load.client_cpu) / len(load.client_cpu):.0%}"
                    for name, load in (("bare", bare_load), ("cart", cart_load)))
    print(f"  load generator CPU, share of one core while timing: {cpu}")

    print(
        f"\nIn-process (Flask test client, no server, one at a time), median of 300: "
        f"cart {local.cart_median_us / 1e3:.2f} ms, bare {local.bare_median_us / 1e3:.2f} ms, "
        f"ratio {local.cart_median_us / local.bare_median_us:.1f}"
    )
    if side_by_side:
        new = sorted(pair[0] for pair in side_by_side)[1]
        old = sorted(pair[1] for pair in side_by_side)[1]
        turns = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in side_by_side)
        print(f"In-process against {options.baseline[:12]} (3 fresh processes each, taking turns; medians "
              f"{turns} ms): cart {new:.2f} ms, baseline {old:.2f} ms, ratio {new / old:.2f}")
    if cpu_turns:
        turns = "; ".join(f"{adapter / cart:.3f} ({cart:,.0f}/{adapter:,.0f} µs) against {old_adapter / old_cart:.3f} "
                          f"({old_cart:,.0f}/{old_adapter:,.0f})"
                          for (cart, adapter), (old_cart, old_adapter) in cpu_turns)
        print(f"CPU ratio adapter only ÷ cart API in-process (--breakdown's turns, 800 requests each, fresh processes "
              f"taking turns), this checkout against {options.baseline[:12]}: {turns}")
    print(f"SQL queries per warm GET {API_PATH}: plugin {local.plugin_queries:g}, "
          f"demo adapter {local.adapter_queries:g}")
    for label, statements in (("plugin", local.plugin_statements), ("adapter", local.adapter_statements)):
        for statement, per_request in statements:
            print(f"  {label}, {per_request:g} per request: {shorten(statement)}")
    print(f"Widget: static/widget.js {raw:,} B raw ({raw / WIDGET_BUDGET:.0%} of 6 KB), "
          f"{zipped:,} B gzip -9 ({zipped / WIDGET_BUDGET:.0%} of 6 KB)")
    print(f"(whole run {time.perf_counter() - wall:.1f} s)")
    if parts:
        print_breakdown(parts)
    if local.profile:
        print(f"\ncProfile of 300 warm in-process GET {API_PATH}, by cumulative time:\n{local.profile}")

    status = 0
    for load in loads.values():
        if load.error_count or load.truncated:
            cut = ", cut short by the deadline" if load.truncated else ""
            causes = ": " + "; ".join(load.errors[:3]) if load.errors else ""
            print(f"{'ERROR' if load.error_count else 'NOTE'}: {load.name}: {load.error_count} failed requests{cut}"
                  f"{causes}")
            status = 2 if load.error_count else status
        if load is not loads.get("baseline") and load.sizes != {len(raw_body)}:
            print(f"ERROR: {load.name} answered with bodies of {sorted(load.sizes)} bytes, not {len(raw_body)}")
            status = 2
    for name, tail in server_errors.items():
        print(f"ERROR: gunicorn ({name}) logged a traceback:\n{tail}")
        status = 2
    if priced(local.body) != priced(served_body):
        print("ERROR: the in-process cart was priced differently from the served one; the query count is not "
              "for the same cart.")
        status = 2
    if local.plugin_queries > MAX_PLUGIN_QUERIES:
        print(f"FAIL: the plugin made {local.plugin_queries:g} SQL queries per warm request; "
              f"it should make at most {MAX_PLUGIN_QUERIES}.")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
