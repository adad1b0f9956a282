"""Subscribe offers as a shop saves them, for the 定期 tests."""
from plugin.storage.post_purchase import PostPurchaseOffer, PostPurchaseTrigger

TERMS = dict(
    payment_terms="各回のお届けの発送時に、今回と同じお支払い方法で決済します",
    payment_terms_en="Each delivery is charged to the payment you used today when it ships",
    cancel_terms="次回お届け日の7日前までに、マイページの「定期便の管理」から解約できます",
    cancel_terms_en="Cancel from My Page, Manage subscriptions, up to 7 days before the next delivery",
)


def healthfood_plan(downsell: bool = True, **changes) -> PostPurchaseOffer:
    """The green juice every month at 10% off, 3 deliveries at least; after a decline, every 3 months at 5% off."""
    values = dict(kind="subscribe", label="毎月お届けの定期便で10%オフ", label_en="Monthly delivery, 10% off",
                  replaces_product_id="healthfood", pricing_mode="percent_off", pricing_value=1_000,
                  cycle_every=1, cycle_unit="month", min_deliveries=3, **TERMS)
    values.update(changes)
    if downsell and "downsell" not in changes:
        values["downsell"] = PostPurchaseOffer(
            kind="subscribe", label="3ヶ月ごとのお届けなら", label_en="Or every 3 months",
            replaces_product_id="healthfood", pricing_mode="percent_off", pricing_value=500,
            cycle_every=3, cycle_unit="month", **TERMS)
    return PostPurchaseOffer(**values)


def trigger(product_id: str) -> PostPurchaseTrigger:
    return PostPurchaseTrigger(product_id=product_id)
