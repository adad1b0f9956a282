"""The storefront: what the shopper sees and does.

Owns: the server-rendered panels and page helpers (:mod:`.panels`), the
thank-you funnel (:mod:`.thank_you`) and its claims with a lease
(:mod:`.claims`), who sees which offer (:mod:`.exposure`, :mod:`.visitor`), which beacons are stored
(:mod:`.beacons`), quotes as JSON (:mod:`.quote_json`), the shopper API's request schemas
(:mod:`.schemas`), ja/en copy and money (:mod:`.i18n`), and the widget's and stylesheet's versioned,
long-cached URLs (:mod:`.assets`).

May import: :mod:`plugin.engine`, :mod:`plugin.storage` and the leaf
:mod:`plugin.errors`; never the admin, insights or extension.
"""
