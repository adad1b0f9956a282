"""Seed the demo: catalogue, Tsuide's rules, two customers and some past orders.

Every part is skipped when it is already there, so seeding twice leaves one copy.
The plugin's tables must exist first: ``flask --app demo tsuide db upgrade``.
"""
from __future__ import annotations

import random
from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import delete, func, inspect, select

from plugin import models as rules
from plugin.storage import post_purchase as thank_you

from . import catalogue
from .adapter import build_cart
from .extensions import db, tsuide
from .seed_events import seed_ab_tests, seed_events
from .models import Customer, Order, OrderLine, Product, utcnow

PAST_ORDERS = 30


class PluginTablesMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "Tsuide's tables are missing. Create them first: flask --app demo tsuide db upgrade"
        )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def seed_products() -> int:
    if _count(Product):
        return 0
    for position, (pid, category, price, cost, colour, name_ja, name_en, text_ja, text_en) in enumerate(
        catalogue.PRODUCTS
    ):
        db.session.add(
            Product(
                id=pid, category=category, price=price, cost=cost, colour=colour, position=position,
                name_ja=name_ja, name_en=name_en, description_ja=text_ja, description_en=text_en,
                in_stock=pid not in catalogue.OUT_OF_STOCK,
            )
        )
    return len(catalogue.PRODUCTS)


def seed_customers() -> int:
    if _count(Customer):
        return 0
    for cid, name_ja, name_en, email in catalogue.CUSTOMERS:
        db.session.add(Customer(id=cid, name_ja=name_ja, name_en=name_en, email=email))
    return len(catalogue.CUSTOMERS)


def seed_rules() -> int:
    """The plugin's rules, made with its models; saving validates them (plugin.RuleError).

    Databases seeded before a rule was added to the catalogue get it too: a rule is looked up by its label (a
    shipping threshold by its currency, one per currency), so seeding again adds only what is missing. A rule
    already there is left as the merchant has it (an older demo's shipping threshold keeps its steps).
    """
    labels = set(db.session.scalars(select(rules.Rule.label)))
    currencies = set(db.session.scalars(select(rules.ShippingRule.currency)))
    made = [
        rule for rule in _catalogue_rules()
        if rule.label not in labels and not (isinstance(rule, rules.ShippingRule) and rule.currency in currencies)
    ]
    db.session.add_all(made)
    db.session.flush()
    return len(made)


def _catalogue_rules() -> list[rules.Rule]:
    """Every rule of the catalogue, unsaved."""
    made: list[rules.Rule] = []
    for label, label_en, price, items, floor in catalogue.BUNDLES:
        made.append(
            rules.Bundle(
                label=label, label_en=label_en, **price, margin_floor_percent=floor,
                items=[
                    rules.RuleItem(product_id=pid, quantity=quantity, position=position)
                    for position, (pid, quantity) in enumerate(items.items())
                ],
            )
        )
    for label, label_en, categories, tiers in catalogue.VOLUMES:
        made.append(
            rules.VolumeRule(
                label=label, label_en=label_en,
                categories=[rules.RuleCategory(category=category) for category in categories],
                steps=[rules.RuleStep(threshold=count, discount_percent=percent) for count, percent in tiers.items()],
            )
        )
    for label, label_en, terms in catalogue.BUY_GETS:
        terms = dict(terms)
        made.append(
            rules.BuyGetRule(
                label=label, label_en=label_en, buy_quantity=terms.pop("buy_quantity"),
                get_quantity=terms.pop("get_quantity"), max_units=terms.pop("max_units", None),
                discount_percent=terms.pop("discount_percent"),
                items=[rules.RuleItem(product_id=pid, position=position)
                       for position, pid in enumerate(terms.pop("buy_product_ids"))],
            )
        )
    for label, label_en, currency, threshold, fee, fee_steps, rewards in catalogue.SHIPPING:
        made.append(
            rules.ShippingRule(
                label=label, label_en=label_en, currency=currency, threshold=threshold, fee=fee,
                steps=[rules.RuleStep(threshold=amount, fee=step_fee) for amount, step_fee in fee_steps.items()]
                + [
                    rules.RuleStep(threshold=amount, label=reward_ja, label_en=reward_en)
                    for amount, (reward_ja, reward_en) in rewards.items()
                ],
            )
        )
    for label, label_en, currency, steps in catalogue.SPEND:
        made.append(
            rules.SpendRule(
                label=label, label_en=label_en, currency=currency,
                steps=[rules.RuleStep(threshold=threshold, amount_off=amount, discount_percent=percent)
                       for threshold, amount, percent in steps],
            )
        )
    for label, label_en, currency, gift, threshold, triggers in catalogue.GIFTS:
        made.append(
            rules.GiftRule(
                label=label, label_en=label_en, currency=currency, gift_product_id=gift, threshold=threshold,
                items=[rules.RuleItem(product_id=pid, position=position) for position, pid in enumerate(triggers)],
            )
        )
    return made


def _thank_you_offer(spec: dict) -> thank_you.PostPurchaseOffer:
    downsell = spec.get("downsell")
    return thank_you.PostPurchaseOffer(
        kind=spec["kind"], label=spec["label"], label_en=spec["label_en"],
        accept_label=spec.get("accept_label"), accept_label_en=spec.get("accept_label_en"),
        decline_label=spec.get("decline_label"), decline_label_en=spec.get("decline_label_en"),
        replaces_product_id=spec.get("replaces"), global_cap=spec.get("global_cap"),
        **{name: spec[name] for name in ("pricing_mode", "pricing_value", "discount_percent") if name in spec},
        items=[
            thank_you.PostPurchaseItem(product_id=pid, quantity=quantity, position=position)
            for position, (pid, quantity) in enumerate(spec["items"].items())
        ],
        triggers=[thank_you.PostPurchaseTrigger(product_id=pid) for pid in spec.get("trigger_products", ())]
        + [thank_you.PostPurchaseTrigger(category=name) for name in spec.get("trigger_categories", ())],
        downsell=_thank_you_offer(downsell) if downsell else None,
        **spec.get("plan", {}),
    )


def seed_thank_you_offers() -> int:
    """Tsuide's thank-you page offers, made with its models. Databases seeded before they existed get them too:
    each is looked up by its label, so seeding again adds only what is missing."""
    there = set(db.session.scalars(
        select(thank_you.PostPurchaseOffer.label).where(thank_you.PostPurchaseOffer.parent_id.is_(None))
    ))
    made = [_thank_you_offer(spec) for spec in catalogue.THANK_YOU_OFFERS if spec["label"] not in there]
    db.session.add_all(made)
    db.session.flush()
    return len(made)


def place_order(
    items, customer_id, *, buyer_name="", card_last4="", placed_at=None, quote=None, lang="ja"
) -> Order:
    """Add an order priced by Tsuide (or by ``quote``) to the session; the caller commits."""
    quote = quote or tsuide.quote(build_cart(items, customer_id), with_offers=False)
    names = {row.id: row.name(lang) for row in db.session.scalars(select(Product))}
    order = Order(
        customer_id=customer_id, buyer_name=buyer_name, card_last4=card_last4, placed_at=placed_at or utcnow(),
        subtotal=quote.subtotal, discount_total=quote.discount_total, shipping_fee=quote.shipping_fee,
        total=quote.total,
        discounts=[{"rule_id": d.rule_id, "label": d.label, "amount": d.amount} for d in quote.discounts],
        lines=[
            OrderLine(
                product_id=line.product_id, name=names.get(line.product_id, line.product_id),
                quantity=line.quantity, unit_price=line.unit_price, discount=line.discount, total=line.total,
            )
            for line in quote.lines
        ],
    )
    db.session.add(order)
    db.session.flush()
    return order


def seed_orders() -> int:
    """Past orders in which some products are often bought together."""
    if _count(Order):
        return 0
    rng = random.Random(20261123)
    singles = [pid for pid, *_ in catalogue.PRODUCTS if pid not in catalogue.OUT_OF_STOCK | catalogue.GIFT_PRODUCTS]
    customers = [cid for cid, *_ in catalogue.CUSTOMERS]
    now = utcnow()
    for index in range(PAST_ORDERS):
        items: dict[str, int] = {}
        if rng.random() < 0.75:
            for pid, quantity in rng.choice(catalogue.PAIRS):
                items[pid] = items.get(pid, 0) + quantity
        if not items or rng.random() < 0.4:
            pid = rng.choice(singles)
            items[pid] = items.get(pid, 0) + 1
        placed_at = now - timedelta(days=60 - 2 * index, hours=rng.randrange(24))
        place_order(list(items.items()), customers[index % len(customers)], buyer_name="demo", placed_at=placed_at)
    return PAST_ORDERS


def plugin_tables_exist() -> bool:
    """The plugin's tables, up to the A/B variants' (migration 0006)."""
    tables = inspect(db.engine)
    return tables.has_table(rules.State.__tablename__) and tables.has_table(rules.Variant.__tablename__)


def seed_all(history: bool = True) -> dict[str, int]:
    """Seed whatever is not there yet, inside an app context; returns how many of each were made.

    ``history=False`` leaves out the A/B tests and the four weeks of analytics events.
    """
    if not plugin_tables_exist():
        raise PluginTablesMissing()
    db.create_all()
    made = {"products": seed_products(), "customers": seed_customers()}
    db.session.commit()
    made["rules"] = seed_rules()
    db.session.commit()
    made["thank-you offers"] = seed_thank_you_offers()
    db.session.commit()
    made["orders"] = seed_orders()
    db.session.commit()
    if history:
        made["A/B variants"] = seed_ab_tests()
        db.session.commit()
        made["analytics events"] = seed_events()
        db.session.commit()
    return made


def reset_all() -> dict[str, int]:
    """Drop the shop's tables and the demo's rules and thank-you offers, then seed again."""
    if not plugin_tables_exist():
        raise PluginTablesMissing()
    db.drop_all()
    db.session.execute(delete(rules.Redemption))
    db.session.execute(delete(rules.Event))
    for rule in db.session.scalars(select(rules.Rule)).all():
        db.session.delete(rule)
    # The answers name order ids, which the new orders reuse: they go with the orders.
    db.session.execute(delete(thank_you.PostPurchaseResponse))
    offers = db.session.scalars(select(thank_you.PostPurchaseOffer)).all()
    for offer in sorted(offers, key=lambda row: row.parent_id is None):  # downsells before their parents
        db.session.delete(offer)
    db.session.commit()
    return seed_all()


demo_cli = AppGroup("demo", help="The demo shop's data.")


def _report(made: dict[str, int]) -> None:
    if not any(made.values()):
        click.echo("The demo is already seeded: nothing to do.")
        return
    click.echo("Seeded " + ", ".join(f"{count} {name}" for name, count in made.items() if count) + ".")


@demo_cli.command("seed")
def seed_command() -> None:
    """Create the shop's tables and seed products, rules, thank-you offers, customers and orders (once)."""
    try:
        _report(seed_all())
    except PluginTablesMissing as error:
        raise click.ClickException(str(error)) from None


@demo_cli.command("reset")
@click.confirmation_option(prompt="Drop the demo's orders, products and rules and seed them again?")
def reset_command() -> None:
    """Drop the demo's data and seed it again."""
    try:
        _report(reset_all())
    except PluginTablesMissing as error:
        raise click.ClickException(str(error)) from None
