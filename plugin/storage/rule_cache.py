"""The per-worker rule cache: the live rules, their A/B variants and the mined pairs, reloaded on a new stamp.

A warm quote makes one SQL query: it reads the version stamp (and, in the
same statement, the shopper's use of per-customer capped rules). Only when the
stamp has moved, because an admin in any worker saved a change, are the rules
loaded again.
"""
from __future__ import annotations

import logging
import threading
from collections import ChainMap, OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, literal_column, select, union_all
from sqlalchemy.sql.expression import Executable
from sqlalchemy.orm import Session

from .. import storage as models
from .mining import BlockedPair, MinedPair
from ..engine.rules import FixedBundle, FreeGift, Rule, RuleBook, RuleError, VolumeDiscount
from ..engine.variants import VariantSpec, apply_variant, can_price, check_variants

log = logging.getLogger("tsuide")


class Memo:
    """A bounded, thread-safe map for work that is the same every time for one key: at most ``size`` entries, the
    least recently used dropped first, so no stream of keys (a flood of new visitors) makes it grow."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]):
        """The value kept for ``key``, else ``make()``, kept."""
        with self._lock:
            try:
                self._items.move_to_end(key)
                return self._items[key]
            except KeyError:
                pass
        value = make()  # outside the lock: two threads may both make it, and they make the same value
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


#: Visitors whose A/B exposure a snapshot keeps (see :attr:`Snapshot.exposures`).
EXPOSURES_KEPT = 2048
#: Combinations of A/B variants whose rule views a snapshot keeps (see :meth:`Snapshot.views_for`).
VIEWS_KEPT = 256
#: Sets of cart products whose rule look-ups a snapshot keeps (see :attr:`Snapshot.lookups`; the storefront keeps
#: them for carts of at most 50 products, so the memo holds a few MB at most).
LOOKUPS_KEPT = 512


@dataclass(frozen=True)
class Snapshot:
    """The rules as of one version stamp."""

    version: int
    rulebook: RuleBook
    by_id: dict[str, Rule]
    has_customer_caps: bool
    problems: tuple[str, ...] = ()
    settings: dict[str, object] = field(default_factory=dict)  #: saved in the admin; override TSUIDE_* config
    #: Mined "bought together" pairs not blocked by an admin: product -> (other product, support, lift,
    #: orders together), best lift first.
    companions: dict[str, tuple[tuple[str, float, float, int], ...]] = field(default_factory=dict)
    #: A/B tests: rule id -> its variants, and (rule id, variant name) -> the rule as that variant prices it.
    tests: dict[str, tuple[VariantSpec, ...]] = field(default_factory=dict)
    variant_rules: dict[tuple[str, str], Rule] = field(default_factory=dict)
    #: Each visitor's place in the tests and the holdout, worked out under these rules (the storefront keys it by
    #: visitor, assignment salt and holdout share): a new snapshot (any rule, variant or setting saved) starts
    #: empty. Not copied by ``dataclasses.replace``.
    exposures: Memo = field(default_factory=lambda: Memo(EXPOSURES_KEPT), init=False, repr=False, compare=False)
    _views: Memo = field(default_factory=lambda: Memo(VIEWS_KEPT), init=False, repr=False, compare=False)
    #: The rules and products a cart's products call for (the storefront keys it by the cart's product ids, and
    #: their categories): the same for every such cart under these rules. Never the products themselves.
    lookups: Memo = field(default_factory=lambda: Memo(LOOKUPS_KEPT), init=False, repr=False, compare=False)
    #: Per currency, the products the spend discounts and gifts name (see :meth:`order_products`).
    _order_products: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def rulebook_for(self, chosen: Mapping[str, VariantSpec]) -> RuleBook:
        """The rules as a visitor with these variants sees and pays them."""
        return self.views_for(chosen)[0]

    def views_for(self, chosen: Mapping[str, VariantSpec]) -> tuple[RuleBook, Mapping[str, Rule]]:
        """The rulebook and the rules by id as a visitor with these variants sees them: built once per combination
        of variants (an A/B variant replaces its rule in both)."""
        return self._views.get(tuple((rule_id, spec.name) for rule_id, spec in chosen.items()),
                               lambda: self._build_views(chosen))

    def _build_views(self, chosen: Mapping[str, VariantSpec]) -> tuple[RuleBook, Mapping[str, Rule]]:
        overrides = {
            rule_id: self.variant_rules[(rule_id, spec.name)]
            for rule_id, spec in chosen.items() if (rule_id, spec.name) in self.variant_rules
        }
        if not overrides:
            return self.rulebook, self.by_id
        return self.rulebook.with_overrides(overrides), ChainMap(overrides, self.by_id)

    def order_products(self, currency: str) -> tuple[list[Rule], frozenset[str]]:
        """The spend discounts and gifts of ``currency`` and the products they name (gifts, and the products
        that earn them): the same for every cart of this snapshot, so worked out once."""
        found = self._order_products.get(currency)
        if found is None:
            rules = self.rulebook.order_rules_for(currency)
            found = self._order_products[currency] = (tuple(rules), frozenset(self.referenced_products(rules)))
        return list(found[0]), found[1]

    def companions_of(
        self, product_ids: Iterable[str], min_support: float, min_lift: float, min_orders: int = 0
    ) -> dict[str, list[str]]:
        """For each product, the products often bought with it: above both thresholds and seen together in
        at least ``min_orders`` orders (2 of 30 orders is chance, not a habit)."""
        return {
            pid: [other for other, support, lift, together in self.companions.get(pid, ())
                  if support >= min_support and lift >= min_lift and together >= min_orders]
            for pid in product_ids
        }

    def referenced_products(self, rules: Iterable[Rule]) -> set[str]:
        """Products the given rules name, which offers may suggest."""
        ids: set[str] = set()
        for rule in rules:
            if isinstance(rule, (FixedBundle, VolumeDiscount)):
                ids |= rule.product_ids
            elif isinstance(rule, FreeGift):  # and the products that earn it, for "Xを追加でノベルティプレゼント"
                ids.add(rule.gift_product_id)
                ids |= rule.trigger_product_ids
        return ids


@dataclass(frozen=True)
class Usage:
    """What capped rules have used so far: by every shopper, and by this one."""

    redeemed: dict[str, int]
    customer_used: dict[str, int]


def load_snapshot(session: Session, version: int) -> Snapshot:
    """Every live rule, read as plain rows in four queries and turned into engine values."""
    items: dict[int, list[tuple[str, int]]] = defaultdict(list)
    categories: dict[int, list[str]] = defaultdict(list)
    steps: dict[int, list[tuple]] = defaultdict(list)
    item_table, category_table, step_table = (
        models.RuleItem.__table__, models.RuleCategory.__table__, models.RuleStep.__table__
    )
    for row in session.execute(select(item_table).order_by(item_table.c.rule_id, item_table.c.position,
                                                           item_table.c.id)):
        items[row.rule_id].append((row.product_id, row.quantity))
    for row in session.execute(select(category_table)):
        categories[row.rule_id].append(row.category)
    for row in session.execute(select(step_table).order_by(step_table.c.rule_id, step_table.c.threshold)):
        steps[row.rule_id].append((row.threshold, row.percent_bp, row.label, row.label_en, row.fee, row.amount_off))
    rule_table = models.Rule.__table__
    rules, problems = [], []
    for row in session.execute(select(rule_table).where(rule_table.c.deleted_at.is_(None))):
        try:
            rules.append(models.build_rule(row, items[row.id], categories[row.id], steps[row.id]))
        except RuleError as error:
            # Saved rules are validated; a row edited by hand is skipped, not priced wrong.
            problems.append(f"rule {row.id} ({row.label!r}) is skipped: {error}")
    tests, variant_rules = _load_tests(session, {rule.id: rule for rule in rules}, problems)
    for problem in problems:
        log.warning("tsuide: %s", problem)
    return Snapshot(
        version=version,
        rulebook=RuleBook(tuple(rules)),
        by_id={rule.id: rule for rule in rules},
        has_customer_caps=any(rule.per_customer_cap is not None for rule in rules),
        problems=tuple(problems),
        settings={row.key: row.value for row in session.execute(select(models.Setting.key, models.Setting.value))},
        companions=_load_companions(session),
        tests=tests,
        variant_rules=variant_rules,
    )


def _load_tests(
    session: Session, rules: dict[str, Rule], problems: list[str]
) -> tuple[dict[str, tuple[VariantSpec, ...]], dict[tuple[str, str], Rule]]:
    """Every A/B test, keyed like events name offers (``"12"``, ``"pp:3"``); each rule variant built once.

    Thank-you offers' variants are applied where those offers are loaded;
    they are here so every request agrees on who sees which.
    """
    table = models.Variant.__table__
    specs: dict[str, list[VariantSpec]] = defaultdict(list)
    for row in session.execute(select(table).order_by(table.c.position, table.c.id)):
        key = str(row.rule_id) if row.rule_id is not None else f"pp:{row.pp_offer_id}"
        if row.rule_id is None or key in rules:
            specs[key].append(VariantSpec.of(row))
    tests: dict[str, tuple[VariantSpec, ...]] = {}
    variant_rules: dict[tuple[str, str], Rule] = {}
    for rule_id, arms in specs.items():
        if rule_id.startswith("pp:"):
            tests[rule_id] = tuple(arms)
            continue
        try:
            check_variants(arms, can_price(rules[rule_id]), rules[rule_id])
            built = {(rule_id, spec.name): apply_variant(rules[rule_id], spec) for spec in arms}
        except RuleError as error:
            problems.append(f"the A/B test of rule {rule_id} is skipped: {error}")
            continue
        tests[rule_id] = tuple(arms)
        variant_rules.update(built)
    return tests, variant_rules


#: Mined companions kept per product in the cache: the ones a cart page could ever show.
COMPANIONS_PER_PRODUCT = 8


def _load_companions(session: Session) -> dict[str, tuple[tuple[str, float, float, int], ...]]:
    pairs, blocked = MinedPair.__table__, BlockedPair.__table__
    found: dict[str, list[tuple[str, float, float, int]]] = defaultdict(list)
    is_blocked = (
        select(blocked.c.product_a)
        .where(blocked.c.product_a == pairs.c.product_a, blocked.c.product_b == pairs.c.product_b)
        .exists()
    )
    rows = session.execute(
        select(pairs.c.product_a, pairs.c.product_b, pairs.c.support, pairs.c.lift, pairs.c.orders_together)
        .where(~is_blocked).order_by(pairs.c.lift.desc())
    )
    for product_a, product_b, support, lift, together in rows:
        for one, other in ((product_a, product_b), (product_b, product_a)):
            if len(found[one]) < COMPANIONS_PER_PRODUCT:
                found[one].append((other, support, lift, together))
    return {pid: tuple(others) for pid, others in found.items()}


#: Up to this many capped rules, the stamp query names each rule id as a bound value of its own, in a statement
#: built once per count; more take one expanding list (see :func:`_stamp_statement`).
FIXED_IDS_UP_TO = 16


def _stamp_statement(capped: int, customer: bool) -> Executable:
    """The stamp query: the version, with the ``capped`` rules' shop-wide counts and the customer's uses or not.

    Building a SELECT costs more than running this one (about 0.13 ms against 0.05 ms), so each shape is built
    once and kept, with the values as bound parameters (SQLAlchemy compiles each shape once and reuses it). The
    capped rules' ids are ``capped`` parameters of their own (``:c0, :c1``) rather than one expanding list, which
    SQLAlchemy renders again on every execution (about 15 µs a query); past :data:`FIXED_IDS_UP_TO` ids, one list.
    """
    key = (min(capped, FIXED_IDS_UP_TO + 1), customer)
    found = _STAMP_STATEMENTS.get(key)
    if found is None:
        found = _STAMP_STATEMENTS[key] = _build_stamp_statement(*key)
    return found


def _build_stamp_statement(capped: int, customer: bool) -> Executable:
    version = select(
        literal_column("'v'").label("kind"), models.State.version.label("key"), literal_column("0").label("uses")
    ).where(models.State.id == 1)
    parts = [version]
    if capped:
        ids = (bindparam("capped", expanding=True) if capped > FIXED_IDS_UP_TO
               else [bindparam(f"c{index}") for index in range(capped)])
        parts.append(select(literal_column("'g'"), models.Rule.id, models.Rule.redeemed)
                     .where(models.Rule.id.in_(ids)))
    if customer:
        parts.append(
            select(literal_column("'c'"), models.Redemption.rule_id, func.sum(models.Redemption.applications))
            .where(models.Redemption.customer_id == bindparam("customer"))
            .group_by(models.Redemption.rule_id)
        )
    return union_all(*parts) if len(parts) > 1 else version


#: The stamp query's shapes built so far: (capped rule ids, up to FIXED_IDS_UP_TO + 1, with a customer) -> statement.
_STAMP_STATEMENTS: dict[tuple[int, bool], Executable] = {}


class RuleStore:
    """One per app and worker: hands out the current :class:`Snapshot`."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def current(
        self, session: Session, customer_id: str | None, capped_for: Callable[[Snapshot], Iterable[str]] = lambda _: ()
    ) -> tuple[Snapshot, Usage]:
        """The snapshot for the stored version, and what its capped rules have used.

        ``capped_for(snapshot)`` names the "first N" rules whose shop-wide count
        matters (those the cart touches). When the cached snapshot is current,
        this is one query.
        """
        cached = self._snapshot
        if cached is None:
            cached = self._reload(session, self._read_stamp(session, (), None)[0])
        version, usage = self._read_stamp(
            session, capped_for(cached), customer_id if cached.has_customer_caps else None
        )
        if version != cached.version:
            cached = self._reload(session, version)
            version, usage = self._read_stamp(
                session, capped_for(cached), customer_id if cached.has_customer_caps else None
            )
        return cached, usage

    def _reload(self, session: Session, version: int) -> Snapshot:
        with self._lock:
            cached = self._snapshot
            if cached is None or cached.version != version:
                cached = load_snapshot(session, version)
                self._snapshot = cached
            return cached

    @staticmethod
    def _read_stamp(session: Session, capped: Iterable[str], customer_id: str | None) -> tuple[int, Usage]:
        capped_ids = [int(rule_id) for rule_id in capped]
        statement = _stamp_statement(len(capped_ids), customer_id is not None)
        if len(capped_ids) > FIXED_IDS_UP_TO:
            params = {"capped": capped_ids}
        else:
            params = {f"c{index}": rule_id for index, rule_id in enumerate(capped_ids)}
        if customer_id is not None:
            params["customer"] = customer_id
        version = None
        usage = Usage({}, {})
        # On the session's connection (its transaction), as Core: the rows are plain, no ORM work is needed.
        for kind, key, count in session.connection().execute(statement, params):
            if kind == "v":
                version = key
            elif kind == "g":
                usage.redeemed[str(key)] = int(count)
            else:
                usage.customer_used[str(key)] = int(count)
        if version is None:
            raise RuntimeError("tsuide_state is empty: run 'flask tsuide db upgrade'")
        return version, usage
