"""The engine's 定期 plans: what switching costs, when deliveries come, and terms that must be complete."""
from datetime import date, datetime, timezone

import pytest

from factories import CATALOGUE
from plugin import CartLine, Order, PricingMode, RuleError
from plugin.engine.post_purchase import OfferKind, PostPurchaseOffer, Shopper, eligible
from plugin.engine.subscriptions import CycleUnit, Plan, PlanTerms, add_cycles

PLACED = datetime(2026, 1, 31, 9, 0, tzinfo=timezone.utc)
TERMS = dict(payment=(("ja", "お届けごとに発送時に決済"), ("en", "Charged when each delivery ships")),
             cancel=(("ja", "マイページからいつでも"), ("en", "From My Page, any time")))


def terms(**changes):
    return PlanTerms(**{"every": 1, "unit": CycleUnit.MONTH, **TERMS, **changes})


def offer(**changes):
    values = dict(id="7", kind=OfferKind.SUBSCRIBE, label="定期便", replaces="healthfood",
                  mode=PricingMode.PERCENT_OFF, value=1_000, plan=terms())
    values.update(changes)
    return PostPurchaseOffer(**values)


def order(*items):
    lines = tuple(CartLine(pid, qty, CATALOGUE[pid].price) for pid, qty in items)
    return Order("A-1", lines, "c-1", PLACED, sum(line.subtotal for line in lines))


def priced(found_offer, placed=None):
    return eligible(found_offer, placed or order(("healthfood", 2), ("socks", 1)), CATALOGUE, Shopper(None, ()),
                    now=PLACED, max_ratio_bp=5_000, loyal_orders=5)


def test_a_line_switched_to_a_monthly_plan_at_10_percent_off():
    amendment = priced(offer(plan=terms(min_deliveries=3)))
    plan = amendment.plan
    assert [(line.product_id, line.quantity, line.unit_price) for line in plan.lines] == [("healthfood", 2, 3_000)]
    assert plan.quantity == 2
    assert (plan.paid, plan.first_price, plan.refund) == (6_000, 6_000, 0)
    assert (plan.list_price, plan.recurring_price, plan.recurring_saving) == (6_000, 5_400, 600)
    assert plan.commitment_total == 6_000 + 2 * 5_400
    assert plan.next_delivery_on == date(2026, 2, 28)  # the 31st has no February: the month's last day
    assert plan.commitment_ends_on == date(2026, 3, 31)
    assert amendment.charge == 0 and amendment.add == () and amendment.remove == ()


def test_a_first_delivery_discount_is_refunded_and_never_charged():
    plan = priced(offer(plan=terms(first_mode=PricingMode.PERCENT_OFF, first_value=2_000))).plan
    assert (plan.first_price, plan.refund) == (4_800, 1_200)
    assert plan.commitment_total == 4_800  # no minimum: the first delivery is the whole commitment


def test_the_whole_order_switches_when_no_line_is_named():
    plan = priced(offer(replaces=None, trigger_products=frozenset({"healthfood"}), mode=PricingMode.AMOUNT_OFF,
                        value=500)).plan
    assert plan.product_id is None
    assert [line.product_id for line in plan.lines] == ["healthfood", "socks"]
    assert (plan.list_price, plan.recurring_price) == (7_000, 6_500)


def test_weeks_and_long_cycles():
    assert add_cycles(date(2026, 1, 31), 2, CycleUnit.WEEK, 1) == date(2026, 2, 14)
    assert add_cycles(date(2026, 11, 30), 3, CycleUnit.MONTH, 1) == date(2027, 2, 28)
    assert add_cycles(date(2024, 1, 31), 1, CycleUnit.MONTH, 1) == date(2024, 2, 29)


def test_no_plan_for_an_order_without_the_line_or_a_product_out_of_stock():
    assert priced(offer(), order(("socks", 1))) is None
    gone = {**CATALOGUE, "healthfood": CATALOGUE["scarf"]}
    assert eligible(offer(), order(("healthfood", 1)), {k: v for k, v in gone.items() if k != "healthfood"},
                    Shopper(None, ()), now=PLACED, max_ratio_bp=5_000, loyal_orders=5) is None


def test_a_plan_that_would_cost_nothing_is_not_offered():
    assert priced(offer(value=10_000)) is None


def test_a_declined_plan_is_not_offered_again():
    found = offer()
    assert eligible(found, order(("healthfood", 1)), CATALOGUE, Shopper(None, {"7"}), now=PLACED,
                    max_ratio_bp=5_000, loyal_orders=5) is None


@pytest.mark.parametrize("missing", ["payment_terms", "payment_terms_en", "cancel_terms", "cancel_terms_en"])
def test_terms_without_when_payment_happens_or_how_to_cancel_cannot_exist(missing):
    field, language = missing.rsplit("_en", 1)[0], "en" if missing.endswith("_en") else "ja"
    kept = {name: tuple(pair for pair in pairs if not (name == field.split("_")[0] and pair[0] == language))
            for name, pairs in TERMS.items()}
    with pytest.raises(RuleError) as error:
        PlanTerms(every=1, unit=CycleUnit.MONTH, **kept)
    assert list(error.value.errors) == [missing]


def test_every_wrong_field_is_named_at_once():
    with pytest.raises(RuleError) as error:
        PlanTerms(every=0, unit=CycleUnit.WEEK, min_deliveries=99)
    assert set(error.value.errors) == {"cycle_every", "min_deliveries", "payment_terms", "payment_terms_en",
                                       "cancel_terms", "cancel_terms_en"}


def test_a_subscribe_offer_needs_its_plan_and_adds_no_products():
    from plugin.engine.rules import BundleItem
    with pytest.raises(RuleError) as error:
        offer(plan=None, items=(BundleItem("socks", 1),))
    assert set(error.value.errors) == {"items", "cycle_every"}


def test_a_plan_survives_being_kept_by_a_claim():
    plan = priced(offer(plan=terms(min_deliveries=3))).plan
    assert Plan.from_dict(plan.as_dict()) == plan
