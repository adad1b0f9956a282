"""The words of a 定期 plan, in the shopper's language: the cycle, the dates, and the terms the law asks for.

Every figure comes from the engine's :class:`~plugin.engine.subscriptions.Plan`; this module only words it, so
the thank-you panel, the e-mail, the renewal page and the admin's preview say the same thing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from ..engine.subscriptions import CycleUnit, Plan
from .i18n import language


def cycle_text(every: int, unit: CycleUnit, gettext: Callable[..., str]) -> str:
    """"every 2 months" / "2ヶ月ごと"."""
    if unit is CycleUnit.WEEK:
        return gettext("every week") if every == 1 else gettext("every %(count)s weeks", count=every)
    return gettext("every month") if every == 1 else gettext("every %(count)s months", count=every)


def day_text(day: date, locale: str) -> str:
    return format_date(day, "long", locale=language(locale))


@dataclass(frozen=True)
class PlanTermsCopy:
    """The terms shown before the button, one sentence per term, in the order the law lists them."""

    cycle: str
    quantity: str
    price: str
    first: str
    commitment: str
    schedule: str
    period: str
    payment: str
    cancel: str

    def rows(self, gettext: Callable[..., str]) -> list[tuple[str, str]]:
        """(term, wording) pairs, for a definition list."""
        return [
            (gettext("Quantity per delivery"), self.quantity),
            (gettext("Price per delivery"), self.price),
            (gettext("This order (first delivery)"), self.first),
            (gettext("Minimum commitment"), self.commitment),
            (gettext("Deliveries"), self.schedule),
            (gettext("Period"), self.period),
            (gettext("Payment"), self.payment),
            (gettext("How to cancel"), self.cancel),
        ]


def plan_terms(plan: Plan, names: dict[str, str], locale: str, gettext: Callable[..., str],
               money: Callable[[int], str]) -> PlanTermsCopy:
    """Word ``plan`` for the shopper; ``names`` are the products' display names."""
    cycle = cycle_text(plan.every, plan.unit, gettext)
    items = "、".join(
        gettext("%(name)s × %(quantity)s", name=names.get(line.product_id, line.product_id), quantity=line.quantity)
        for line in plan.lines)
    if plan.recurring_saving:
        price = gettext("%(price)s each delivery from the second (regular price %(list)s, you save %(saving)s)",
                        price=money(plan.recurring_price), list=money(plan.list_price),
                        saving=money(plan.recurring_saving))
    else:
        price = gettext("%(price)s each delivery from the second", price=money(plan.recurring_price))
    if plan.refund:
        first = gettext("%(price)s: %(refund)s of what you paid is refunded to the same payment",
                        price=money(plan.first_price), refund=money(plan.refund))
    else:
        first = gettext("%(price)s, already paid: nothing more is charged now", price=money(plan.first_price))
    if plan.min_deliveries and plan.min_deliveries > 1:
        commitment = gettext("%(count)s deliveries at least, %(total)s in all (this order included)",
                             count=plan.min_deliveries, total=money(plan.commitment_total))
        period = gettext("From today until you cancel; you can cancel after the delivery of %(day)s "
                         "(delivery %(count)s)", day=day_text(plan.commitment_ends_on, locale), count=plan.min_deliveries)
    else:
        commitment = gettext("None: cancel whenever you like")
        period = gettext("From today until you cancel")
    schedule = gettext("This order is the first; the next arrives around %(day)s, then %(cycle)s",
                       day=day_text(plan.next_delivery_on, locale), cycle=cycle)
    return PlanTermsCopy(cycle=cycle, quantity=items, price=price, first=first, commitment=commitment,
                         schedule=schedule, period=period, payment=plan.payment_for(locale),
                         cancel=plan.cancel_for(locale))
