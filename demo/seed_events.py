"""Four weeks of shoppers' events for the demo's analytics dashboard, drawn the way live visitors are.

Each synthetic visitor is assigned to the holdout and to A/B variants by the plugin's own hash under the
shop's assignment salt, exactly as a real visitor with that id would be, and behaves with the rates below: variant B of the shoe-care trio
really is taken more often, the thank-you test's difference is too small to call, and visitors in the
holdout spend a little less. The dashboard then has something honest to show.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from plugin import models as rules
from plugin.storage import post_purchase as thank_you
from plugin.engine.assignment import in_holdout
from plugin.engine.variants import VariantSpec, choose
from plugin.storefront.visitor import assignment_salt

from . import catalogue
from .extensions import db
from .models import utcnow

VISITORS = 3_000
DAYS = 28
#: The holdout the history was recorded with (the plugin's default), whatever the demo is set to now.
HISTORY_HOLDOUT_BP = 500
#: Chance that a visitor who saw the offer takes it, by variant.
TAKE_RATES = {"trio": {"A": 0.08, "B": 0.15}, "shoe-care": {"A": 0.10, "B": 0.12}}
CLICK_SHARE = 1.6  # clicks per take: some visitors click, think again and leave it


def _tested(label: str, model) -> tuple[str, list]:
    row = db.session.scalars(select(model).where(model.label == label, model.deleted_at.is_(None))).first()
    if row is None:
        raise LookupError(f"the demo's {label!r} is missing: seed the rules first")
    prefix = "pp:" if model is thank_you.PostPurchaseOffer else ""
    return f"{prefix}{row.id}", [VariantSpec.of(variant) for variant in row.variants]


def seed_ab_tests() -> int:
    """The demo's A/B tests (catalogue.AB_TESTS) on its bundle and thank-you offer, with the seeded history.

    Once: not again when the tests or the history are there (an admin may have ended the tests since).
    """
    if any(db.session.scalar(select(func.count()).select_from(model)) for model in (rules.Variant, rules.Event)):
        return 0
    made = 0
    for label, variants in catalogue.AB_TESTS.items():
        for model in (rules.Rule, thank_you.PostPurchaseOffer):
            row = db.session.scalars(select(model).where(model.label == label)).first()
            if row is not None:
                row.variants = [rules.Variant(position=index, **spec) for index, spec in enumerate(variants)]
                made += len(variants)
    db.session.flush()
    return made


def _events(rng: random.Random) -> list[dict]:
    trio_id, trio_arms = _tested("シューケア3点セット", rules.Rule)
    care_id, care_arms = _tested("シューケアセット", thank_you.PostPurchaseOffer)
    volume_id = str(db.session.scalar(select(rules.Rule.id).where(rules.Rule.kind == "volume")))
    switch_id = "pp:{}".format(db.session.scalar(select(thank_you.PostPurchaseOffer.id).where(
        thank_you.PostPurchaseOffer.kind == "subscribe", thank_you.PostPurchaseOffer.parent_id.is_(None))))
    subscribing = random.Random(20261124)  # its own stream: the other figures stay as they were drawn
    now = utcnow()
    salt = assignment_salt()
    rows: list[dict] = []
    for number in range(VISITORS):
        visitor = f"demo-{number:05d}"
        at = now - timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24), minutes=rng.randrange(60))
        held = in_holdout(visitor, HISTORY_HOLDOUT_BP, salt=salt)

        def event(kind: str, offer: str | None = None, variant: str | None = None, **values) -> None:
            rows.append({"kind": kind, "rule_id": offer, "visitor_id": visitor, "variant": variant,
                         "page": values.pop("page", "cart"), "created_at": at + timedelta(minutes=len(rows) % 7),
                         "order_id": values.pop("order_id", None), "amount": values.pop("amount", None)})

        event("view", variant="holdout" if held else None)
        order_id = f"DEMO-{number:05d}"
        basket = rng.choice((3_500, 5_400, 7_800, 12_000, 16_500))
        took = False
        if not held:
            if rng.random() < 0.5:  # a shoe shopper: the trio is offered
                arm = choose(visitor, trio_id, trio_arms, salt=salt).name
                event("impression", trio_id, arm)
                took = rng.random() < TAKE_RATES["trio"][arm]
                if took or rng.random() < TAKE_RATES["trio"][arm] * (CLICK_SHARE - 1):
                    event("click", trio_id, arm, order_id=order_id if took else None)
                if took:
                    event("add", trio_id, arm, order_id=order_id)
            elif rng.random() < 0.4:
                event("impression", volume_id)
                if rng.random() < 0.1:
                    took = True
                    event("click", volume_id, order_id=order_id)
                    event("add", volume_id, order_id=order_id)
        bought = took or rng.random() < (0.07 if held else 0.08)
        if not bought:
            continue
        total = basket + (2_700 if took else 0)
        event("order", order_id=order_id, amount=total, variant="holdout" if held else None, page="checkout")
        # 定期 of green juice (¥3,000, then ¥2,700, 3 at least: ¥8,400 over the minimum commitment): some buy it
        # at the checkout, in either group; the others who see offers are shown the switch on the thank-you page,
        # and a few take it.
        if subscribing.random() < 0.03:
            event("subscribe", amount=8_400, variant="holdout" if held else None, page="checkout", order_id=order_id)
        elif not held:
            event("impression", switch_id, page="thank-you")
            if subscribing.random() < 0.04:
                event("accept", switch_id, order_id=order_id, amount=0, page="thank-you")
                event("subscribe", switch_id, order_id=order_id, amount=8_400, page="thank-you")
            elif subscribing.random() < 0.3:
                event("decline", switch_id, order_id=order_id, page="thank-you")
        if not held and rng.random() < 0.6:  # the thank-you page offers the shoe-care set
            arm = choose(visitor, care_id, care_arms, salt=salt).name
            event("impression", care_id, arm, page="thank-you")
            if rng.random() < TAKE_RATES["shoe-care"][arm]:
                event("click", care_id, arm, order_id=order_id, page="thank-you")
                event("accept", care_id, arm, order_id=order_id, amount=2_800, page="thank-you")
            else:
                if rng.random() < 0.05:
                    event("click", care_id, arm, page="thank-you")
                event("decline", care_id, arm, order_id=order_id, page="thank-you")
    return rows


def seed_events() -> int:
    """Four weeks of events (views, impressions, clicks, adds, orders, thank-you answers), once."""
    if db.session.scalar(select(func.count()).select_from(rules.Event)):
        return 0
    rows = _events(random.Random(20261123))
    db.session.execute(insert(rules.Event), rows)
    return len(rows)
