"""Whatever a browser sends to the shopper's API, the answer is never a 500 and a refusal changes nothing."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import models
from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger
from shop import OrderingAdapter, make_shop

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(["bundle_id", "items", "product_id", "quantity", "offer_id", "idempotency_key", "kind",
                          "offers", "page", "unit_price"])
BODIES = JSON | st.dictionaries(FIELDS, JSON, max_size=4) | st.fixed_dictionaries(
    {"items": st.lists(st.dictionaries(FIELDS, JSON, max_size=3), max_size=3)})
PATHS = ["/tsuide/api/cart/items", "/tsuide/api/events", "/tsuide/api/orders/A-1/offer/accept",
         "/tsuide/api/orders/A-1/offer/decline"]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'shop.sqlite'}",
                                   adapter=adapter, WTF_CSRF_ENABLED=False)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    with app.app_context():
        db.session.add(models.Bundle(label="Set", pricing_mode="percent_off", pricing_value=1000,
                                     items=[models.RuleItem(product_id="healthfood", quantity=3)]))
        db.session.add(PostPurchaseOffer(kind="add_on", label="Care", pricing_mode="percent_off", pricing_value=1000,
                                         items=[PostPurchaseItem(product_id="spray")],
                                         triggers=[PostPurchaseTrigger(product_id="sneakers")]))
        db.session.commit()
    yield app, adapter
    with app.app_context():
        db.engine.dispose()


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(PATHS), body=BODIES, as_form=st.booleans())
def test_the_shopper_api_never_500s(fuzzed, path, body, as_form):
    app, adapter = fuzzed
    cart_before, charges_before = dict(adapter.lines), list(adapter.charges)
    client = app.test_client()
    if as_form and isinstance(body, dict):
        form = {key: str(value) for key, value in body.items() if not isinstance(value, (dict, list))}
        response = client.post(path, data=form, headers={"Accept": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code < 500, (path, body, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert adapter.lines == cart_before and adapter.charges == charges_before
