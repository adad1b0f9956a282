"""The engine: pure pricing and eligibility, the one place money is computed.

Owns: the values (:mod:`.values`), rules (:mod:`.rules`), exact money
(:mod:`.money`, :mod:`.savings`), the cart's units and one rule applied to
them (:mod:`.units`), which non-stackable rules take which units
(:mod:`.allocation`), building a quote (:mod:`.pricing`, :mod:`.quote`), the
nudges priced by quoting the cart they make (:mod:`.offers`), A/B variants
and their assignment (:mod:`.variants`, :mod:`.assignment`), and the pricing
and eligibility of thank-you offers (:mod:`.post_purchase`).

May import: the standard library only. No Flask, no Werkzeug, no SQLAlchemy,
no I/O: a checkout, an endpoint, a test and a benchmark call it alike.
"""
