"""The admin: HTML pages at ``<prefix>/admin/`` and a JSON API at ``<prefix>/admin/api/``.

Owns: the guard (default-deny, CSRF), the records and their schemas, the
service every change goes through (validated, audited, one transaction), the
forms, previews, dashboard and charts, and the OpenAPI document.

May import: :mod:`plugin.engine`, :mod:`plugin.storage`, :mod:`plugin.insights`
(the dashboard), :mod:`plugin.storefront` (previews render the shopper's
panels) and the leaf :mod:`plugin.errors`; never the extension.
"""
