"""定期 bought directly: the product page's 単品/定期 choice, its terms before the button, the order's subscription.

Every figure is the engine's (:func:`plugin.engine.subscriptions.price_plan`): each later delivery is the list
price less the plan's percentage; the first delivery is this order, at what the checkout's quote charges for
the line. The terms are worded by the plugin's own copy (the thank-you switch says the same), and shown on the
product page and again on the checkout, the final confirmation, before its button (特定商取引法).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import plugin
from plugin.engine.rules import PricingMode
from plugin.engine.subscriptions import CycleUnit, PlanTerms, price_plan
from plugin.storefront.plan_copy import plan_terms

from . import shopper
from .adapter import to_plugin_product
from .catalogue import CHECKOUT_PLANS
from .extensions import db, tsuide
from .models import Order, Product, Subscription
from .text import tr


def offered(product_id: str) -> bool:
    return product_id in CHECKOUT_PLANS


def _terms(product_id: str) -> PlanTerms:
    spec = CHECKOUT_PLANS[product_id]
    return PlanTerms(every=spec["cycle_every"], unit=CycleUnit(spec["cycle_unit"]),
                     min_deliveries=spec.get("min_deliveries"),
                     payment=(("ja", spec["payment_terms"]), ("en", spec["payment_terms_en"])),
                     cancel=(("ja", spec["cancel_terms"]), ("en", spec["cancel_terms_en"])))


def plan_for(product_id: str, quantity: int, first_price: int | None = None,
             placed_at: datetime | None = None) -> plugin.Plan | None:
    """The plan of ``quantity`` of ``product_id`` on 定期; its first delivery at ``first_price`` (default: list)."""
    row = db.session.get(Product, product_id)
    if row is None or not offered(product_id) or quantity < 1:
        return None
    product = to_plugin_product(row, shopper.lang())
    plan = price_plan("checkout", _terms(product_id), PricingMode.PERCENT_OFF,
                      CHECKOUT_PLANS[product_id]["discount_percent"] * 100, (plugin.CartLine(row.id, quantity, row.price),),
                      {row.id: product}, placed_at or datetime.now(timezone.utc), row.id)
    if plan is None or first_price is None:
        return plan
    return replace(plan, paid=first_price, first_price=first_price)


def terms_rows(plan: plugin.Plan) -> list[tuple[str, str]]:
    """The terms the law asks for, in the shopper's language; the first delivery is paid at this checkout."""
    copy = plan_terms(plan, {line.product_id: db.session.get(Product, line.product_id).name(shopper.lang())
                             for line in plan.lines}, tsuide.locale(), tsuide.gettext, tsuide.format_money)
    return replace(copy, first=tr("first_delivery_now", amount=tsuide.format_money(plan.first_price))).rows(
        tsuide.gettext)


def checkout_plans(quote) -> dict[str, plugin.Plan]:
    """Product id -> the plan of each cart line bought on 定期, its first delivery at the quote's line total."""
    chosen = set(shopper.subscribed())
    plans = {}
    for line in quote.lines:
        if line.product_id in chosen:
            plan = plan_for(line.product_id, line.quantity, line.total)
            if plan is not None:
                plans[line.product_id] = plan
    return plans


def start(order: Order, plans: dict[str, plugin.Plan]) -> None:
    """Store each subscription the order starts and record it for Tsuide's analytics; the caller commits."""
    placed_at = order.placed_at.replace(tzinfo=timezone.utc)
    for product_id, shown in plans.items():
        line = next(line for line in order.lines if line.product_id == product_id)
        plan = plan_for(product_id, line.quantity, line.total, placed_at)
        db.session.add(Subscription(
            customer_id=order.customer_id, order_id=order.id,
            lines=[[item.product_id, item.quantity, item.unit_price] for item in plan.lines], every=plan.every,
            unit=plan.unit.value, recurring_price=plan.recurring_price, min_deliveries=plan.min_deliveries,
            next_delivery_on=plan.next_delivery_on, idempotency_key=f"checkout:{order.id}:{product_id}"))
        tsuide.record_subscription(order.number, plan)
