"""Plant plausible one-line bugs in the admin's percentages, import checks, picker and OpenAPI, one at a time.

Like ``scripts/plant_engine_bugs.py``, for what issue 14 added: a percentage off by a factor or rounded, a
basis point leaking out, a unit reread, an unknown product let through, a picker that adds nothing. Run:

    .venv/bin/python scripts/plant_admin_bugs.py          # TSUIDE_TEST_CHROMIUM set for the browser ones

Each bug is written into the working tree, its tests run (SQLite only, stopping at the first failure), and the
file is put back, also when interrupted. Run it on a clean tree. Prints KILLED or SURVIVED per bug and the score.
"""
from __future__ import annotations

import sys

from planting import plant

TESTS = ["tests/test_admin_percent.py", "tests/test_admin_import.py", "tests/test_admin_picker.py",
         "tests/test_admin_openapi.py", "tests/test_admin_api.py", "tests/test_admin_pages.py",
         "tests/test_admin_linter.py", "tests/test_admin_variants.py", "tests/test_admin_previews.py",
         "tests/test_admin_hardening.py", "tests/test_readme.py", "tests/test_form_fuzz.py",
         "tests/test_admin_fuzz.py", "-k", "not postgresql"]
BROWSER = ["tests/test_admin_picker_browser.py", "-k", "not postgresql"]

#: (file, the line as it is, the line with the bug[, the tests that should catch it])
BUGS = [
    ("plugin/storage/percent.py", "points = as_decimal(value) * BASIS_POINTS_PER_PERCENT",
     "points = as_decimal(value) * 10"),
    ("plugin/storage/percent.py", "    if points != points.to_integral_value():\n",
     "    if False:\n"),
    ("plugin/storage/percent.py", "return whole if rest == 0 else basis_points / BASIS_POINTS_PER_PERCENT",
     "return whole if rest == 0 else round(basis_points / BASIS_POINTS_PER_PERCENT)"),
    ("plugin/storage/percent.py", "whole, rest = divmod(basis_points, BASIS_POINTS_PER_PERCENT)",
     "whole, rest = divmod(basis_points, 1000)"),
    ("plugin/storage/percent.py", "return (Decimal(basis_points) / BASIS_POINTS_PER_PERCENT).normalize() + 0",
     "return (Decimal(basis_points) / 1000).normalize() + 0"),
    ("plugin/storage/percent.py", "if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):",
     "if not isinstance(value, (int, float, Decimal, str)):"),
    ("plugin/admin/schemas.py", "if self.above_low and number <= self.low:",
     "if self.above_low and number < self.low:"),
    ("plugin/admin/schemas.py", "if not self.low <= number <= self.high:",
     "if not self.low <= number:"),
    ("plugin/admin/schemas.py", "        if isinstance(value, str):\n            raise ValidationError(",
     "        if isinstance(value, bytes):\n            raise ValidationError("),
    ("plugin/admin/schemas.py", "margin_floor_percent = Percent(allow_none=True, high=1000,",
     "margin_floor_percent = Percent(allow_none=True, high=100,"),
    ("plugin/admin/schemas.py", "        if (percent if mode != \"percent_off\" else amount) is not None:",
     "        if False:"),
    ("plugin/admin/schemas.py", "            variant[AMOUNT_FIELD] = variant_percent\n",
     "            variant[AMOUNT_FIELD] = variant.get(AMOUNT_FIELD)\n"),
    ("plugin/admin/schemas.py", "        if (variant_percent if mode != \"percent_off\" else variant.get(AMOUNT_FIELD)) is not None:",
     "        if False:"),
    ("plugin/admin/records.py", "            public[\"discount_percent\"] = percent_number(value) if in_percent else None",
     "            public[\"discount_percent\"] = value if in_percent else None"),
    ("plugin/admin/records.py", "        variant[\"discount_percent\"] = percent_number(value) if in_percent else None",
     "        variant[\"discount_percent\"] = value if in_percent else None"),
    ("plugin/admin/records.py", "(percent_number(value) if name == \"margin_floor_bp\" else value)",
     "value"),
    ("plugin/admin/records.py", "\"discount_percent\": percent_number(tier.get(\"percent_bp\"))",
     "\"discount_percent\": tier.get(\"percent_bp\")"),
    ("plugin/admin/service.py", "    if mode is not None and mode != saved and \"pricing_value\" not in data:",
     "    if False:"),
    ("plugin/admin/service.py", "    errors = settle_price(data, saved) if mode is None else {}",
     "    errors = {}"),
    ("plugin/admin/service.py",
     "        return percent_number(value) if isinstance(value, int) and not isinstance(value, bool) else value",
     "        return value"),
    ("plugin/admin/service.py", "    if isinstance(version, bool) or version not in (1, EXPORT_VERSION):",
     "    if isinstance(version, bool) or version not in (1, EXPORT_VERSION, None):"),
    ("plugin/admin/service.py", "    if version == 1:\n        document = from_version_1(document)",
     "    if False:\n        document = from_version_1(document)"),
    ("plugin/admin/service.py", "            refused = catalogue_errors(record, known, categories)\n            if refused:",
     "            refused = catalogue_errors(record, known, categories)\n            if False:"),
    ("plugin/admin/service.py", "              if isinstance(record.get(\"downsell\"), dict) for pid in _named_products(record[\"downsell\"])}",
     "              if False for pid in _named_products(record[\"downsell\"])}"),
    ("plugin/admin/service.py", "    categories = shop_categories()\n    for name, records in loaded.items():",
     "    categories = None\n    for name, records in loaded.items():"),
    ("plugin/admin/service.py",
     "    return dict(warning, fields=[value_field(mode) if name == \"pricing_value\" else name for name in warning[\"fields\"]])",
     "    return warning"),
    ("plugin/admin/service.py", "    return {(value_field(mode) if name == \"value\" else name if name in own",
     "    return {(\"pricing_value\" if name == \"value\" else name if name in own"),
    ("plugin/admin/api.py", "    response = jsonify(kind.public(body))", "    response = jsonify(body)"),
    ("plugin/admin/api.py", "    return jsonify(dict(log, items=[_public_entry(entry) for entry in log[\"items\"]]))",
     "    return jsonify(log)"),
    ("plugin/admin/api.py", "\"image_url\": link_url(p.image_url)}", "\"image_url\": p.image_url}"),
    ("plugin/storage/rules.py", "        self.pricing_value = basis_points(\"discount_percent\", value)\n\n\nclass Rule",
     "        self.pricing_value = value\n\n\nclass Rule"),
    ("plugin/storage/rules.py", "        self.percent_bp = basis_points(\"discount_percent\", value)",
     "        self.percent_bp = value"),
    ("plugin/storage/rules.py", "        self.margin_floor_bp = basis_points(\"margin_floor_percent\", value)",
     "        self.margin_floor_bp = value"),
    ("plugin/storage/rules.py", "    if in_percent and mode != \"percent_off\":", "    if False:"),
    ("plugin/storage/rules.py", "        if self.pricing_mode not in (None, \"percent_off\"):",
     "        if False:"),
    ("plugin/storage/rules.py", "        later = {name: kwargs.pop(name) for name in self._percent_keywords if name in kwargs}",
     "        later = {}"),
    ("plugin/admin/copy.py", "        value = percent_to_bp(_price(data)) if mode == \"percent_off\" else _price(data)",
     "        value = _price(data)"),
    ("plugin/admin/pages_forms.py", "    return Decimal(cleaned)\n", "    return Decimal(cleaned) * 100\n"),
    ("plugin/admin/pages_forms.py", "    return value_field(mode) if kind == PRICE else name", "    return name"),
    ("plugin/admin/pages_forms.py", "_PRICE_IN_PERCENT.sub(r\"\\1pricing_value\", key)", "key"),
    ("plugin/admin/pages_forms.py", "    return \"\" if percent is None else show_percent(percent_to_bp(as_decimal(percent)))",
     "    return \"\" if percent is None else str(percent_to_bp(as_decimal(percent)))"),
    ("plugin/admin/pages_picker.py", "                values[f\"{group}-{number}-quantity\"] = str(min(quantity + 1, 999))",
     "                values[f\"{group}-{number}-quantity\"] = str(min(quantity, 999))"),
    ("plugin/admin/pages_picker.py",
     "    if group not in PRODUCT_GROUPS.get(kind, ()) or not product_id or not _adapter().products({product_id}):",
     "    if group not in PRODUCT_GROUPS.get(kind, ()) or not product_id:"),
    ("plugin/admin/pages_picker.py", "        if query or group == asked:", "        if query:"),
    ("plugin/admin/pages_picker.py", "        values[\"has_downsell\"] = \"1\"", "        pass"),
    ("plugin/admin/openapi.py", "    return {\"type\": \"object\", \"properties\": properties, \"additionalProperties\": False,",
     "    return {\"type\": \"object\", \"properties\": properties, \"additionalProperties\": True,"),
    ("plugin/admin/schemas.py", "    code = fields.String(required=True, validate=validate.OneOf(WARNING_CODES), metadata={",
     "    code = fields.String(validate=validate.OneOf(WARNING_CODES), metadata={"),
    ("static/admin-picker.js", "      event.preventDefault();  // picks the product; it never submits the form",
     "      // (a bug: Enter also submits the form)", BROWSER),
    ("static/admin-picker.js", "    if (quantity && quantity !== input && !quantity.value) { quantity.value = \"1\"; }",
     "", BROWSER),
    ("static/admin-picker.js", "    input.setAttribute(\"aria-activedescendant\", option.id);", "", BROWSER),
]


def main() -> int:
    return plant(BUGS, TESTS)


if __name__ == "__main__":
    sys.exit(main())
