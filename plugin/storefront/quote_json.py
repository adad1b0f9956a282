"""Quotes as JSON: every amount as its integer and as the shopper reads it."""
from __future__ import annotations

from collections.abc import Callable

from ..engine.values import Quote
from ..storage.percent import percent_number


def quote_json(quote: Quote, money: Callable[[int], str]) -> dict:
    def amount(value: int) -> dict:
        return {"amount": value, "display": money(value)}

    progress = quote.free_shipping
    return {
        "currency": quote.currency,
        "lines": [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": amount(line.unit_price),
                "subtotal": amount(line.subtotal),
                "discount": amount(line.discount),
                "total": amount(line.total),
            }
            for line in quote.lines
        ],
        "subtotal": amount(quote.subtotal),
        "discounts": [
            {
                "rule_id": discount.rule_id,
                "label": discount.label,
                "amount": amount(discount.amount),
                "applications": discount.applications,
                "units": [
                    {"product_id": units.product_id, "quantity": units.quantity, "amount": units.amount}
                    for units in discount.units
                ],
            }
            for discount in quote.discounts
        ],
        "discount_total": amount(quote.discount_total),
        "shipping_fee": amount(quote.shipping_fee),
        "free_shipping": None
        if progress is None
        else {
            "threshold": amount(progress.threshold),
            "remaining": amount(progress.remaining),
            "fraction": round(progress.fraction, 4),
            "reached": progress.reached,
            "fee": amount(progress.fee),
            "next_step": None
            if progress.next_step is None
            else {"fee": amount(progress.next_step.fee), "remaining": amount(progress.next_step_remaining)},
            "next_reward": None
            if progress.next_reward is None
            else {"label": progress.next_reward.label, "remaining": amount(progress.next_reward_remaining)},
        },
        "ladder": [
            {
                "kind": rung.kind,
                "rule_id": rung.rule_id,
                "label": rung.label,
                "threshold": amount(rung.threshold),
                "remaining": amount(rung.remaining),
                "amount_off": None if rung.step is None or rung.step.amount_off is None else amount(rung.step.amount_off),
                "percent_bp": None if rung.step is None else rung.step.percent_bp,
                "product_id": None if rung.product is None else rung.product.id,
            }
            for rung in quote.ladder
        ],
        "total": amount(quote.total),
        "gap_fillers": [
            {
                "product_id": filler.product.id,
                "name": filler.product.name,
                "price": amount(filler.product.price),
                "new_total": amount(filler.new_total),
                "remaining_after": amount(filler.remaining_after),
            }
            for filler in quote.gap_fillers
        ],
        "offers": [
            {
                "kind": offer.kind,
                "rule_id": offer.rule_id,
                "label": offer.label,
                "add": [{"product_id": line.product_id, "quantity": line.quantity} for line in offer.add],
                "added_price": amount(offer.added_price),
                "saving": amount(offer.saving),
                "new_total": amount(offer.new_total),
                "gets": gets_json(offer.gets, amount),
                "max_units": offer.max_units,
            }
            for offer in quote.offers
        ],
    }


def gets_json(gets, amount) -> dict | None:
    """A buy-X-get-Y offer's get units per group and their discount, as the JSON says them (else ``None``)."""
    if gets is None:
        return None
    units, mode, value = gets
    if mode == "percent_off":
        return {"units": units, "discount_percent": percent_number(value), "amount_off": None}
    return {"units": units, "discount_percent": None, "amount_off": amount(value)}
