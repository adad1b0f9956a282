"""The storefront: what the shopper sees and does.

Owns: the server-rendered panels and page helpers (:mod:`.panels`), the
thank-you funnel (:mod:`.thank_you`) and its claims with a lease
(:mod:`.claims`), who sees which offer (:mod:`.exposure`, :mod:`.visitor`), which beacons are stored
(:mod:`.beacons`), the panels' CSRF and beacon tokens kept for the second they were stamped in (:mod:`.csrf`,
:mod:`.tokens`), urgency only where the server keeps it and copy written from values
(:mod:`.urgency`, :mod:`.honest_copy`), quotes as JSON (:mod:`.quote_json`), the shopper API's request schemas
(:mod:`.schemas`), ja/en copy and money (:mod:`.i18n`), the widget's and stylesheet's versioned,
long-cached URLs (:mod:`.assets`), the checks of URLs from outside before a redirect or a page
(:mod:`.safe_urls`), and the size and shape limits every endpoint holds a request to before any work
(:mod:`.request_limits`; the admin's guard applies them too).

May import: :mod:`plugin.engine`, :mod:`plugin.storage` and the leaf
:mod:`plugin.errors`; never the admin, insights or extension.
"""
