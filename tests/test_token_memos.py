"""The panels' tokens kept for the second they were stamped in (plugin/storefront/tokens.py, csrf.py and beacons.py;
docs/performance.md "Fifth round"). The CSRF token is always Flask-WTF's own answer, which its ``validate_csrf``
accepts; the beacon token is always the beacon serializer's own, which ``beacons.shown`` reads. A new second, secret
key (or fallback), field name, session, visitor, set of offers or order is a new key; a session without a raw token is
Flask-WTF's to start; the memos stay bounded."""
from __future__ import annotations

import pytest
from flask import Flask, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import timed
from wtforms import ValidationError

from plugin.storefront import beacons, csrf
from plugin.storefront.tokens import SecondMemo
from plugin.storefront.visitor import VISITOR_KEY, visitor_cookie


class Clock:
    """itsdangerous' clock (``itsdangerous.timed.time``), which Flask-WTF's signer and the memo both read."""

    now = 1_790_000_000.25

    @classmethod
    def time(cls) -> float:
        return cls.now


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setattr(timed, "time", Clock)
    monkeypatch.setattr(Clock, "now", 1_790_000_000.25)
    monkeypatch.setattr(csrf, "TOKENS", SecondMemo(csrf.KEPT))
    made: list[str] = []

    def counted():
        made.append("x")
        return generate_csrf()

    monkeypatch.setattr(csrf, "generate_csrf", counted)
    app = Flask(__name__)
    app.config.update(SECRET_KEY="first key", TESTING=True)
    app.made = made

    @app.get("/kept")
    def kept_token():
        token = csrf.csrf_token()
        assert generate_csrf() == token  # Flask-WTF's own cache for the request holds it too
        return token

    @app.get("/kept-then-later")
    def kept_then_later():
        """The second turns after the panel's token was made: the rest of the request still gets that token."""
        token = csrf.csrf_token()
        Clock.now += 1
        assert generate_csrf() == token and csrf.csrf_token() == token
        return token

    @app.get("/flask-wtf-then-kept")
    def flask_wtf_then_kept():
        """Flask-WTF made the request's token first (a shop's form), then the second turns: the panel gets that one."""
        token = generate_csrf()
        Clock.now += 1
        assert csrf.csrf_token() == token
        return token

    @app.get("/flask-wtf")
    def flask_wtf_token():
        return generate_csrf()

    @app.post("/check")
    def check():
        try:
            validate_csrf(app.test_request_token)
        except ValidationError as error:
            return str(error), 400
        return "ok"

    @app.get("/odd-raw")
    def odd_raw():
        """A shop that keeps something else than Flask-WTF's string under the field's name."""
        session[app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")] = ["not", "a", "string"]
        token = csrf.csrf_token()
        assert token == generate_csrf()
        return token

    @app.get("/raw")
    def raw():
        return session.get(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) or ""

    @app.get("/forget")
    def forget():
        session.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        return ""

    return app


def get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def accepted(app, client, token: str) -> bool:
    app.test_request_token = token
    return client.post("/check").status_code == 200


def test_the_kept_token_is_flask_wtfs_own_and_validates(app):
    client = app.test_client()
    first = get(client, "/kept")  # no raw token in the session yet: Flask-WTF makes one, nothing is kept
    assert get(client, "/raw") and len(csrf.TOKENS) == 0
    second = get(client, "/kept")  # made by Flask-WTF and kept
    calls = len(app.made)
    third = get(client, "/kept")  # from the memo: Flask-WTF not asked
    assert len(app.made) == calls and len(csrf.TOKENS) == 1
    assert first == second == third == get(client, "/flask-wtf")
    assert accepted(app, client, third)


def test_one_token_a_request_when_the_second_turns(app):
    client = app.test_client()
    get(client, "/kept")
    get(client, "/kept")  # kept for this second
    first = get(client, "/kept-then-later")  # from the memo, then the second turns inside the request
    assert first != get(client, "/kept")  # the next request: the new second's token
    Clock.now += 5
    second = get(client, "/flask-wtf-then-kept")
    assert accepted(app, client, first) and accepted(app, client, second)


def test_a_token_flask_wtf_made_first_stands_over_a_kept_one(app):
    """The request's token is Flask-WTF's already (a shop's form rendered first) when the second turns, and the memo
    holds another for the new second: the panel gets the request's."""
    client = app.test_client()
    get(client, "/kept")
    Clock.now += 1
    kept = get(client, "/kept")  # kept for the next second
    Clock.now -= 1
    first = get(client, "/flask-wtf-then-kept")  # Flask-WTF's at the first second; the clock turns inside
    assert first != kept and accepted(app, client, first)


def test_a_raw_token_that_is_not_a_string_is_flask_wtfs_to_sign(app):
    client = app.test_client()
    token = get(client, "/odd-raw")
    assert token == get(client, "/odd-raw") and len(csrf.TOKENS) == 0


def test_a_new_second_is_a_new_token(app):
    client = app.test_client()
    get(client, "/kept")
    before = get(client, "/kept")
    Clock.now += 1
    calls = len(app.made)
    after = get(client, "/kept")
    assert len(app.made) == calls + 1  # the kept token's second is over: Flask-WTF signs again
    assert after != before and after == get(client, "/flask-wtf")
    assert len(csrf.TOKENS) == 1  # the old second's tokens are gone with it
    assert accepted(app, client, after) and accepted(app, client, before)
    Clock.now -= 1  # the clock set back: nothing kept answers for an earlier second
    assert get(client, "/kept") == before


def test_a_token_stamped_in_the_next_second_is_kept_under_that_second(app, monkeypatch):
    """The second turns inside Flask-WTF's call: the token is kept for the second it carries, not the one read before."""
    client = app.test_client()
    get(client, "/kept")

    def late():
        Clock.now += 1
        return generate_csrf()

    monkeypatch.setattr(csrf, "generate_csrf", late)
    late_token = get(client, "/kept")
    monkeypatch.setattr(csrf, "generate_csrf", generate_csrf)
    assert csrf.TOKENS._kept[0] == int(Clock.now)
    assert get(client, "/kept") == late_token == get(client, "/flask-wtf")


def test_a_key_rotation_is_a_new_key(app):
    client = app.test_client()
    get(client, "/kept")
    old = get(client, "/kept")
    app.config["SECRET_KEY"] = app.secret_key = "second key"
    client.get("/forget")  # the session is signed with the new key now; its raw token is gone with the old cookie
    get(client, "/kept")
    new = get(client, "/kept")
    assert new != old and new == get(client, "/flask-wtf")
    assert accepted(app, client, new) and not accepted(app, client, old)
    app.config["WTF_CSRF_SECRET_KEY"] = "a key of its own"  # Flask-WTF's own key, when the shop sets one
    own = get(client, "/kept")
    assert own not in (old, new) and own == get(client, "/flask-wtf") and accepted(app, client, own)


def test_the_field_name_is_part_of_the_key(app):
    client = app.test_client()
    get(client, "/kept")
    plain = get(client, "/kept")
    app.config["WTF_CSRF_FIELD_NAME"] = "other_token"
    get(client, "/kept")  # a raw token under the new name is made by Flask-WTF
    other = get(client, "/kept")
    assert other != plain and other == get(client, "/flask-wtf") and accepted(app, client, other)


def test_each_session_its_own_token(app):
    one, two = app.test_client(), app.test_client()
    for client in (one, two):
        get(client, "/kept")
    tokens = [get(client, "/kept") for client in (one, two)]
    assert tokens[0] != tokens[1]
    assert [get(client, "/kept") for client in (one, two)] == tokens == [get(c, "/flask-wtf") for c in (one, two)]
    assert accepted(app, one, tokens[0]) and not accepted(app, one, tokens[1])
    assert len(csrf.TOKENS) == 2


def test_a_session_whose_raw_token_changes_gets_the_new_ones_token(app):
    client = app.test_client()
    get(client, "/kept")
    before = get(client, "/kept")
    client.get("/forget")  # a shop that clears the session at login
    fresh = get(client, "/kept")  # Flask-WTF makes a new raw token
    assert fresh != before and get(client, "/kept") == fresh == get(client, "/flask-wtf")
    assert accepted(app, client, fresh) and not accepted(app, client, before)


def test_the_memo_is_bounded(app, monkeypatch):
    monkeypatch.setattr(csrf.TOKENS, "size", 3)
    clients = [app.test_client() for _ in range(6)]
    for client in clients:
        get(client, "/kept")
    tokens = [get(client, "/kept") for client in clients]
    assert len(csrf.TOKENS) == 3
    assert [get(client, "/kept") for client in clients] == tokens == [get(c, "/flask-wtf") for c in clients]
    assert len(set(tokens)) == 6


def test_without_a_secret_key_flask_wtfs_own_error(app):
    app.config["SECRET_KEY"] = app.secret_key = None
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="secret key"):
        csrf.csrf_token()


# -- the beacon token ----------------------------------------------------------------------------------------------


@pytest.fixture
def beacon_app(monkeypatch):
    monkeypatch.setattr(timed, "time", Clock)
    monkeypatch.setattr(Clock, "now", 1_790_000_000.25)
    monkeypatch.setattr(beacons, "TOKENS", SecondMemo(beacons.TOKENS_KEPT))
    signed: list[object] = []
    app = Flask(__name__)
    app.config.update(SECRET_KEY="first key", TESTING=True)
    app.signed = signed
    original = beacons._serializer_for

    class Counting:
        def __init__(self, keys):
            self.serializer = original(keys)

        def dumps(self, payload):
            signed.append(payload)
            return self.serializer.dumps(payload)

        def loads(self, *args, **kwargs):
            return self.serializer.loads(*args, **kwargs)

    monkeypatch.setattr(beacons, "_serializer_for", Counting)
    app.original_serializer_for = original
    return app


def beacon(app, visitor: str, offers=("1", "2"), order=None) -> tuple[str, object]:
    """A request of ``visitor``'s: its beacon token, what ``shown`` reads from it, and the serializer's own token."""
    with app.test_request_context("/", headers={"Cookie": f"{VISITOR_KEY}={visitor_cookie_for(app, visitor)}"}):
        token = beacons.beacon_token(offers, order)
        assert beacons.beacon_token(offers, order) == token  # once a request
        own = app.original_serializer_for(tuple(beacons.signing_keys())).dumps(
            {"visitor": visitor, "offers": sorted(set(offers)), "order": order})
        return token, beacons.shown(token), own


def visitor_cookie_for(app, visitor: str) -> str:
    with app.test_request_context("/"):
        return visitor_cookie(visitor)


def test_a_kept_beacon_token_is_the_serializers_own_and_reads_back(beacon_app):
    app = beacon_app
    first, shown, own = beacon(app, "0123456789abcdef")
    assert first == own and shown == beacons.Shown(frozenset({"1", "2"}), None)
    signed = len(app.signed)
    again, shown_again, own_again = beacon(app, "0123456789abcdef", offers=("2", "1", "2"))  # the same payload
    assert len(app.signed) == signed  # kept: not signed again
    assert again == first == own_again and shown_again == shown
    assert len(beacons.TOKENS) == 1


def test_each_visitor_offers_and_order_its_own_beacon_token(beacon_app):
    app = beacon_app
    tokens = {
        beacon(app, "0123456789abcdef")[0], beacon(app, "fedcba9876543210")[0],
        beacon(app, "0123456789abcdef", offers=("1",))[0], beacon(app, "0123456789abcdef", order="42")[0],
    }
    assert len(tokens) == 4 and len(beacons.TOKENS) == 4
    token, shown, own = beacon(app, "0123456789abcdef", order="42")
    assert token == own and shown == beacons.Shown(frozenset({"1", "2"}), "42")


def test_a_new_second_or_key_signs_the_beacon_token_again(beacon_app):
    app = beacon_app
    first = beacon(app, "0123456789abcdef")[0]
    Clock.now += 1
    later, shown, own = beacon(app, "0123456789abcdef")
    assert later != first and later == own and shown is not None
    assert len(beacons.TOKENS) == 1
    app.config["SECRET_KEY_FALLBACKS"] = ["first key"]
    app.config["SECRET_KEY"] = app.secret_key = "second key"
    rotated, shown, own = beacon(app, "0123456789abcdef")
    assert rotated not in (first, later) and rotated == own and shown is not None
    with app.test_request_context("/", headers={"Cookie": f"{VISITOR_KEY}={visitor_cookie_for(app, '0123456789abcdef')}"}):
        assert beacons.shown(later) is not None  # the old key's token still reads, as a fallback's


def test_the_beacon_memo_is_bounded(beacon_app, monkeypatch):
    monkeypatch.setattr(beacons.TOKENS, "size", 2)
    visitors = [f"{index:016x}" for index in range(5)]
    tokens = [beacon(beacon_app, visitor) for visitor in visitors]
    assert len(beacons.TOKENS) == 2
    assert [beacon(beacon_app, visitor)[0] for visitor in visitors] == [token for token, _, _ in tokens]
    assert all(token == own for token, _, own in tokens)


def test_one_beacon_token_a_request_when_the_second_turns(beacon_app):
    """The panel's HTML and the JSON around it carry the same token, even when the second turns between the two."""
    app = beacon_app
    cookie = f"{VISITOR_KEY}={visitor_cookie_for(app, '0123456789abcdef')}"
    beacon(app, "0123456789abcdef")  # kept for this second
    with app.test_request_context("/", headers={"Cookie": cookie}):
        first = beacons.beacon_token(["1", "2"])
        Clock.now += 1
        assert beacons.beacon_token(["2", "1"]) == first
    with app.test_request_context("/", headers={"Cookie": cookie}):
        assert beacons.beacon_token(["1", "2"]) != first  # the next request: signed in the new second
