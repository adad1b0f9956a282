"""The storefront: what the shopper sees and does.

Owns: the server-rendered panels and page helpers (:mod:`.panels`), the
thank-you funnel (:mod:`.thank_you`), who sees which offer (:mod:`.exposure`,
:mod:`.visitor`), quotes as JSON (:mod:`.quote_json`), the shopper API's
request schemas (:mod:`.schemas`), ja/en copy and money (:mod:`.i18n`), the
checks of URLs from outside before a redirect or a page (:mod:`.safe_urls`),
and the size and shape limits every endpoint holds a request to before any
work (:mod:`.request_limits`; the admin's guard applies them too).

May import: :mod:`plugin.engine`, :mod:`plugin.storage` and the leaf
:mod:`plugin.errors`; never the admin, insights or extension.
"""
