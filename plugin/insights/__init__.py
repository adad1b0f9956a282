"""Insights: what offers earned and what shoppers buy together.

Owns: the analytics report (:mod:`.analytics`), the A/B statistics
(:mod:`.experiments`, :mod:`.stats`), and mining of pairs bought together
(:mod:`.mining` counts, :mod:`.mining_store` reads order lines and saves).

May import: :mod:`plugin.engine` and :mod:`plugin.storage`; never the
storefront, admin or extension.
"""
