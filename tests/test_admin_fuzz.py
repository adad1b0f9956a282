"""A property-based fuzz of the admin API from its own OpenAPI document: no 500s, no change on a 4xx, and every
success answered as the document describes it."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from plugin import models
from plugin.storage.audit import AuditEntry
from plugin.storage.post_purchase import PostPurchaseOffer
from shop import make_shop


@pytest.fixture(scope="module")
def fuzzed_shop(tmp_path_factory):
    # CSRF is switched off here only: the fuzz is about what the API does with any body it gets;
    # tests/test_admin_api.py shows that writes without the token are refused.
    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'shop.sqlite'}",
                                         WTF_CSRF_ENABLED=False)
    adapter.admin = True
    client = app.test_client()
    client.post("/tsuide/admin/api/bundles", json={"label": "Seed", "pricing_mode": "percent_off",
                                                     "discount_percent": 10, "items": [{"product_id": "healthfood",
                                                                                       "quantity": 3}]})
    yield app, db
    with app.app_context():
        db.engine.dispose()


def state(app, db):
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in (models.Rule, PostPurchaseOffer, models.Setting, AuditEntry))
        version = db.session.get(models.State, 1).version
        db.session.remove()
    return counts, version


def test_the_admin_api_never_500s_and_a_refusal_changes_nothing(fuzzed_shop):
    app, db = fuzzed_shop
    schema = schemathesis.openapi.from_wsgi("/tsuide/admin/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    seen = set()

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            before = state(app, db)
            response = case.call()
            seen.add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])
            if 400 <= response.status_code < 500:
                assert state(app, db) == before, (case.method, case.path, case.body, response.status_code)
            if response.status_code < 300:  # what it answers is what the document says it answers
                operation.validate_response(response)

        fuzz()
    assert {200, 400, 404} <= seen  # the fuzz reached both sides of the validation
