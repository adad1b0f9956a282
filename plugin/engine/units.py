"""The cart's units as runs, and one rule applied to them: what it takes, what it saves, how that is spread.

Each product's units stand in a row, most expensive first, held as
:class:`Run` s (alike units: the same price, price left, floor and lock).
:func:`apply` prices one allocation (sets of each non-stackable rule, then
the stackable rules) following ``docs/engine.md``; :mod:`.allocation`
searches for the allocation that saves the most.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from .money import allocate, percent_of
from .rules import BuyXGetY, FixedBundle, PricingMode, Rule, VolumeDiscount, VolumeTier
from .savings import saving_of, unit_floor


class Run:
    """``count`` alike units of one product at list price ``price``, each with ``unit_left`` still to pay.

    ``floor_bp`` is the strictest floor of the rules that discounted them;
    ``locked`` marks units an exclusive rule used; ``owner`` the
    non-stackable rule that took them (it does not change their price).

    A value (compared and hashed by its fields) that is never changed in place: a plain class with slots, as
    pricing a group makes thousands of them and a frozen dataclass costs several times more to build.
    """

    __slots__ = ("product_id", "price", "count", "unit_left", "floor_bp", "locked", "owner")

    def __init__(self, product_id: str, price: int, count: int, unit_left: int, floor_bp: int | None = None,
                 locked: bool = False, owner: str | None = None):
        self.product_id = product_id
        self.price = price
        self.count = count
        self.unit_left = unit_left
        self.floor_bp = floor_bp
        self.locked = locked
        self.owner = owner

    def as_tuple(self) -> tuple:
        """Its fields, in order: what it is compared and hashed by (and a cache key may hold)."""
        return (self.product_id, self.price, self.count, self.unit_left, self.floor_bp, self.locked, self.owner)

    def __eq__(self, other: object) -> bool:
        return self.as_tuple() == other.as_tuple() if isinstance(other, Run) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.as_tuple())

    def __repr__(self) -> str:
        return "Run({})".format(", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__))

    def split(self, count: int) -> tuple[Run, Run]:
        """The first ``count`` units and the rest."""
        return self.changed(count=count), self.changed(count=self.count - count)

    def changed(self, *, count=None, unit_left=None, floor_bp=None, locked=None, owner=None) -> Run:
        """This run with some fields changed."""
        return Run(self.product_id, self.price, self.count if count is None else count,
                   self.unit_left if unit_left is None else unit_left,
                   self.floor_bp if floor_bp is None else floor_bp,
                   self.locked if locked is None else locked,
                   self.owner if owner is None else owner)

    def alike_as(self, other: Run) -> bool:
        """Interchangeable for pricing: the same product, price, price left, floor and lock."""
        return (self.unit_left == other.unit_left and self.price == other.price and self.product_id == other.product_id
                and self.floor_bp == other.floor_bp and self.locked == other.locked)


class Booking:
    """One rule's discount in an allocation: its sets, amount, tier, and the units and shares it took.

    ``quantities`` and ``shares`` hold, per product in the order booked, the units the rule took and what it took
    off them: two dicts of whole numbers, written as the shares are (a spend discount on a long cart books
    hundreds of products, and an object per product costs the garbage collector). :attr:`units` reads them
    together. A value compared by its fields, as the dataclass it was.
    """

    __slots__ = ("rule", "applications", "amount", "tier", "quantities", "shares")

    def __init__(self, rule: Rule, applications: int, amount: int, tier: VolumeTier | None,
                 units: Mapping[str, Sequence[int]] | None = None):
        self.rule = rule
        self.applications = applications
        self.amount = amount
        self.tier = tier
        self.quantities: dict[str, int] = {}  #: product id -> units taken
        self.shares: dict[str, int] = {}  #: product id -> what was taken off them
        if units:
            for pid, (quantity, share) in units.items():
                self.quantities[pid] = quantity
                self.shares[pid] = share

    @property
    def units(self) -> dict[str, list[int]]:
        """Product id -> [quantity, share], in the order booked (built when read: write :attr:`quantities` and
        :attr:`shares`)."""
        shares = self.shares
        return {pid: [quantity, shares[pid]] for pid, quantity in self.quantities.items()}

    def _fields(self) -> tuple:
        return (self.rule, self.applications, self.amount, self.tier, self.quantities, self.shares)

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, Booking) else NotImplemented

    __hash__ = None  # changed while it is written, as the dataclass was

    def __repr__(self) -> str:
        return (f"Booking(rule={self.rule!r}, applications={self.applications!r}, amount={self.amount!r}, "
                f"tier={self.tier!r}, units={self.units!r})")


@dataclass
class Priced:
    """An allocation priced: the rows of runs left after every rule, and the bookings with a saving."""

    runs: dict[str, list[Run]]
    bookings: list[Booking]
    short: bool = False  #: a buy-X-get-Y could not form the applications it was given: not an allocation
    cut: bool = False  #: a group search ran out of its budget before it proved this allocation the best

    @property
    def saving(self) -> int:
        return sum(booking.amount for booking in self.bookings)


@dataclass(frozen=True)
class Terms:
    """What pricing a group needs besides its rules: costs, categories, cap limits, the shop-wide floor."""

    costs: Mapping[str, int | None]
    categories: Mapping[str, str | None]
    limits: Mapping[str, int | None]
    default_floor_bp: int | None = None
    _counted: dict = field(default_factory=dict, compare=False, repr=False)  #: volume id -> products; "" -> index

    def floor_of(self, rule: Rule) -> int | None:
        return rule.margin_floor_bp if rule.margin_floor_bp is not None else self.default_floor_bp

    def counted(self, volume: VolumeDiscount, product_ids) -> list[str]:
        """The cart products ``volume`` counts (worked out once a quote: every caller passes the cart's products
        or a group of them that holds all the products the volume counts)."""
        found = self._counted.get(volume.id)
        if found is None:
            by_category = self._counted.get("")  # category -> the cart's products in it, worked out once
            if by_category is None:
                by_category = self._counted[""] = {}
                for pid, category in self.categories.items():
                    by_category.setdefault(category, set()).add(pid)
            members = set(volume.product_ids)
            for category in volume.categories:
                members |= by_category.get(category, set())
            found = self._counted[volume.id] = [pid for pid in product_ids if pid in members]
        return found

    def roles(self, rule: BuyXGetY, product_ids) -> list[tuple[str, bool, bool]]:
        """``(product, buys, gets)`` for each cart product a buy-X-get-Y counts (:meth:`counted`), worked out once."""
        key = ("roles", rule.id)
        found = self._counted.get(key)
        if found is None:
            categories = self.categories
            found = self._counted[key] = [
                (pid, rule.buys(pid, categories.get(pid)), rule.gets(pid, categories.get(pid)))
                for pid in self.counted(rule, product_ids)]
        return found

    def cap(self, rule: Rule) -> int | None:
        """The most applications ``rule`` may get in this quote: what its caps leave, and its limit in units
        counted in applications (a bundle's whole sets, a buy-X-get-Y's groups); ``None`` for no cap."""
        limit = self.limits.get(rule.id)
        by_units = rule.units_cap
        if by_units is None:
            return limit
        return by_units if limit is None or by_units < limit else limit

    def max_sets(self, bundle: FixedBundle, free: Mapping[str, int]) -> int:
        sets = -1
        for item in bundle.items:
            fit = free.get(item.product_id, 0) // item.quantity
            if fit < sets or sets < 0:
                sets = fit
        limit = self.cap(bundle)
        return sets if limit is None or limit > sets else limit


def _raw_saving(rule: Rule, price: int, applications: int, tier: VolumeTier | None) -> int:
    if isinstance(rule, FixedBundle):
        return saving_of(rule.mode, rule.value, price, applications)
    if isinstance(rule, BuyXGetY):  # an amount off is per get unit
        return bxgy_saving(rule, price, applications)
    return percent_of(price, tier.percent_bp) if tier else 0


def _book(rule: Rule, taken: list[tuple[int, str, int]], rows: dict[str, list[Run]], applications: int,
          tier: VolumeTier | None, terms: Terms, fresh: bool | set[int] = False) -> Booking | None:
    """Price ``rule`` on the runs ``taken`` ((position, product, count) refs into ``rows``) and write its shares.

    The saving is capped by the units' headroom and spread over the groups of alike units in unit order
    (products by id, most expensive first) in proportion to their headroom; within a group evenly, the
    first units carrying one more minor unit when the share does not divide.

    ``fresh``: every run taken was built by the caller's own :func:`apply` (``_take``, or a volume taking every free
    run, giving it an owner), so no other row, cache or priced allocation holds it: it is changed in place instead
    of rebuilt. Or a set: the ids of the runs :func:`apply` was given (held by its caller); a run taken that is not
    among them was built by that :func:`apply` (an earlier rule's booking or split), so it is changed in place too.
    """
    if len(taken) == 1:
        return _book_one(rule, taken[0], rows, applications, tier, terms, fresh)
    held = None if fresh is True or fresh is False else fresh  # the runs others hold, when told run by run
    refs = sorted(taken, key=_unit_order)  # products by id, then row position
    rule_floor = terms.floor_of(rule)
    costs = terms.costs
    if fresh is True and len(refs) <= _SINGLES:
        booking = _book_singles(rule, refs, rows, applications, tier, rule_floor, costs)
        if booking is not False:
            return booking
    # The groups of alike units, in unit order: one run is its (run, position, product), several a list of those.
    members: list = []
    counts: list[int] = []
    headroom: list[int] = []
    price = room = 0
    last = None
    last_room = 0
    for index, pid, _ in refs:
        run = rows[pid][index]
        units = run.count
        unit_left = run.unit_left
        price += unit_left * units
        if last is not None and unit_left == last.unit_left and pid == last.product_id and \
                run.price == last.price and run.floor_bp == last.floor_bp and run.locked == last.locked:  # alike
            group = members[-1]
            if type(group) is tuple:
                group = members[-1] = [group]
            group.append((run, index, pid))
            counts[-1] += units
            headroom[-1] += last_room * units
            room += last_room * units
        else:
            per_unit = unit_left  # one unit's headroom under the strictest floor of the rule and earlier ones
            cost = costs.get(pid)
            if cost is not None:
                floor_bp = run.floor_bp if rule_floor is None else (
                    rule_floor if run.floor_bp is None else max(run.floor_bp, rule_floor))
                if floor_bp is not None:
                    per_unit = max(0, per_unit - unit_floor(cost, floor_bp))
            members.append((run, index, pid))
            counts.append(units)
            headroom.append(per_unit * units)
            room += per_unit * units
            last_room = per_unit
        last = run
    amount = _raw_saving(rule, price, applications, tier)
    booking = _opened(rule, applications, amount if amount < room else room, tier)
    if booking is None:
        return None
    amount, locked = booking.amount, rule.exclusive
    quantities, shares = booking.quantities, booking.shares
    split: dict[tuple[str, int], list[Run]] | None = None
    written_pid = None  # the product being written (a product's refs are consecutive), its quantity and share
    written_units = written_share = 0
    # money.allocate(amount, headroom), inlined: 0 <= amount <= room, the sum of the headroom (all 0 when no amount)
    twice_total, twice_sum = 2 * amount, 2 * room
    running = allocated = 0
    for group, count, weight in zip(members, counts, headroom):
        if amount:
            running += weight
            upto = (twice_total * running + room) // twice_sum
            share = upto - allocated
            allocated = upto
            base, extra = divmod(share, count)
        else:
            share = base = extra = 0
        if type(group) is tuple:  # one run: its ``extra`` first units carry one more, the rest ``base``
            run, index, pid = group
            floor_bp = run.floor_bp  # the floor of the units this rule takes something off
            if rule_floor is not None and (floor_bp is None or floor_bp < rule_floor):
                floor_bp = rule_floor
            kept = run.locked or locked
            if extra:
                if split is None:
                    split = {}
                split[pid, index] = [Run(pid, run.price, extra, run.unit_left - base - 1, floor_bp, kept, run.owner),
                                     Run(pid, run.price, count - extra, run.unit_left - base,
                                         floor_bp if base > 0 else run.floor_bp, kept, run.owner)]
            elif fresh is True or (held is not None and id(run) not in held):
                if base > 0:
                    run.unit_left -= base
                    run.floor_bp = floor_bp
                run.locked = kept
            elif base > 0 or kept != run.locked:
                rows[pid][index] = Run(pid, run.price, count, run.unit_left - base,
                                       floor_bp if base > 0 else run.floor_bp, kept, run.owner)
            if pid != written_pid:
                if written_pid is not None:
                    quantities[written_pid], shares[written_pid] = written_units, written_share
                written_pid, written_units, written_share = pid, count, share
            else:
                written_units += count
                written_share += share
            continue
        for run, index, pid in group:
            units = run.count
            floor_bp = run.floor_bp  # the floor of the units this rule takes something off
            if rule_floor is not None and (floor_bp is None or floor_bp < rule_floor):
                floor_bp = rule_floor
            kept = run.locked or locked
            if extra > 0:
                heavier = extra if extra < units else units
                extra -= heavier
                if units > heavier:
                    if split is None:
                        split = {}
                    split[pid, index] = [Run(pid, run.price, heavier, run.unit_left - base - 1, floor_bp, kept, run.owner),
                                         Run(pid, run.price, units - heavier, run.unit_left - base,
                                             floor_bp if base > 0 else run.floor_bp, kept, run.owner)]
                elif fresh is True or (held is not None and id(run) not in held):
                    run.unit_left -= base + 1
                    run.floor_bp = floor_bp
                    run.locked = kept
                else:
                    rows[pid][index] = Run(pid, run.price, heavier, run.unit_left - base - 1, floor_bp, kept, run.owner)
                cut = units * base + heavier
            else:
                if fresh is True or (held is not None and id(run) not in held):
                    if base > 0:
                        run.unit_left -= base
                        run.floor_bp = floor_bp
                    run.locked = kept
                elif base > 0 or kept != run.locked:
                    rows[pid][index] = Run(pid, run.price, units, run.unit_left - base,
                                           floor_bp if base > 0 else run.floor_bp, kept, run.owner)
                cut = units * base
            if pid != written_pid:
                if written_pid is not None:
                    quantities[written_pid], shares[written_pid] = written_units, written_share
                written_pid, written_units, written_share = pid, units, cut
            else:
                written_units += units
                written_share += cut
    if written_pid is not None:
        quantities[written_pid], shares[written_pid] = written_units, written_share
    if split is not None:
        for pid in {pid for pid, _ in split}:  # rows where a run split in two are rebuilt once
            rebuilt = []
            for index, run in enumerate(rows[pid]):
                rebuilt.extend(split.get((pid, index), (run,)))
            rows[pid] = rebuilt
    return booking if amount > 0 else None


def _opened(rule: Rule, applications: int, amount: int, tier: VolumeTier | None) -> Booking | None:
    """The booking of ``amount`` (held to the headroom already), none where nothing would be written (no saving, and
    no lock: an exclusive rule's units are locked even where it saves nothing, its booking then of 0)."""
    if amount <= 0:
        if not rule.exclusive:
            return None  # nothing to write: no unit's price, floor or lock changes
        amount = 0
    return Booking(rule, applications, amount, tier)


#: At most this many runs taken are tried by :func:`_book_singles` (a pair bundle's two, a set's few).
_SINGLES = 6


def _book_singles(rule: Rule, refs: list[tuple[int, str, int]], rows: dict[str, list[Run]], applications: int,
                  tier: VolumeTier | None, rule_floor: int | None, costs: Mapping[str, int | None]):
    """:func:`_book` of runs its caller built (``fresh``), each one unit of another product without a cost (a pair
    bundle of two lines, most often): each run is a group of its own whose headroom is its price left, so the share
    of each is its part of the saving, allocated in unit order, and the run is changed in place. ``False`` where
    the runs are not such (then :func:`_book` books them)."""
    runs = []
    last = None
    price = 0
    for index, pid, _ in refs:
        run = rows[pid][index]
        if run.count != 1 or pid == last or costs.get(pid) is not None:
            return False
        runs.append(run)
        price += run.unit_left
        last = pid
    booking = _opened(rule, applications, _raw_saving(rule, price, applications, tier), tier)  # at most the price
    if booking is None:
        return None
    amount, locked = booking.amount, rule.exclusive
    quantities, shares = booking.quantities, booking.shares
    twice_total, twice_sum = 2 * amount, 2 * price  # money.allocate(amount, prices left), inlined
    running = allocated = 0
    for run in runs:
        share = 0
        if amount:
            running += run.unit_left
            upto = (twice_total * running + price) // twice_sum
            share = upto - allocated
            allocated = upto
        if share > 0:
            floor_bp = run.floor_bp
            if rule_floor is not None and (floor_bp is None or floor_bp < rule_floor):
                floor_bp = rule_floor
            run.unit_left -= share
            run.floor_bp = floor_bp
        run.locked = run.locked or locked
        quantities[run.product_id] = 1
        shares[run.product_id] = share
    return booking if amount > 0 else None


def _book_one(rule: Rule, ref: tuple[int, str, int], rows: dict[str, list[Run]], applications: int,
              tier: VolumeTier | None, terms: Terms, fresh: bool | set[int]) -> Booking | None:
    """:func:`_book` of one run taken (a one-item bundle's units, most often): one group of alike units, its whole
    share spread evenly, the first units one minor unit more."""
    index, pid, _ = ref
    row = rows[pid]
    run = row[index]
    units = run.count
    unit_left = run.unit_left
    rule_floor = terms.floor_of(rule)
    floor_bp = run.floor_bp if rule_floor is None else (
        rule_floor if run.floor_bp is None else max(run.floor_bp, rule_floor))  # the strictest, also written
    per_unit = unit_left  # one unit's headroom
    cost = terms.costs.get(pid)
    if cost is not None and floor_bp is not None:
        per_unit = max(0, per_unit - unit_floor(cost, floor_bp))
    amount = _raw_saving(rule, unit_left * units, applications, tier)
    booking = _opened(rule, applications, min(amount, per_unit * units), tier)
    if booking is None:
        return None
    amount = booking.amount
    base, extra = divmod(amount, units)  # extra < units: the first ``extra`` units carry one more
    kept = run.locked or rule.exclusive
    if extra:
        rows[pid] = row[:index] + [Run(pid, run.price, extra, unit_left - base - 1, floor_bp, kept, run.owner),
                                   Run(pid, run.price, units - extra, unit_left - base,
                                       floor_bp if base > 0 else run.floor_bp, kept, run.owner)] + row[index + 1:]
    elif fresh is True or (fresh is not False and id(run) not in fresh):
        if base > 0:
            run.unit_left -= base
            run.floor_bp = floor_bp
        run.locked = kept
    else:
        row[index] = Run(pid, run.price, units, unit_left - base, floor_bp if base > 0 else run.floor_bp, kept,
                         run.owner)
    booking.quantities[pid] = units
    booking.shares[pid] = amount
    return booking if amount > 0 else None


#: The order refs are booked in: products by id, then row position (a ref's count never breaks a tie).
_unit_order = itemgetter(1, 0)


def _take(rows: dict[str, list[Run]], product_id: str, count: int, *, free_only: bool, owner: str | None) -> list:
    """Take the first ``count`` units of a product (free ones only, or any not locked), splitting a run if needed."""
    row = rows.get(product_id)
    taken = []
    if not row:
        return taken
    index = 0
    size = len(row)
    while count > 0 and index < size:
        run = row[index]
        if (run.owner is None) if free_only else not run.locked:
            units = run.count
            if units > count:  # the first ``count`` units, and the rest after them
                row.insert(index + 1, Run(run.product_id, run.price, units - count, run.unit_left, run.floor_bp,
                                          run.locked, run.owner))
                size += 1
                row[index] = Run(run.product_id, run.price, count, run.unit_left, run.floor_bp, run.locked,
                                 run.owner if owner is None else owner)
                units = count
            elif owner is not None:
                row[index] = Run(run.product_id, run.price, units, run.unit_left, run.floor_bp, run.locked, owner)
            taken.append((index, product_id, units))
            count -= units
        index += 1
    return taken


def apply(rows: Mapping[str, Sequence[Run]], exclusive_rules: Sequence[Rule], choices: Sequence[int],
          stackable_rules: Sequence[Rule], terms: Terms) -> Priced:
    """Price one allocation: ``choices[i]`` sets, applications (or on/off) of ``exclusive_rules[i]``, then the
    stackable rules. ``short`` is set when a buy-X-get-Y cannot form the applications it was given."""
    # The stackable rules change in place the runs this allocation built (not those it was given, by id).
    held = {id(run) for row in rows.values() for run in row} if stackable_rules else None
    rows = {pid: list(row) for pid, row in rows.items()}
    bookings = []
    short = False
    for rule, choice in zip(exclusive_rules, choices):
        if not choice:
            continue
        if isinstance(rule, FixedBundle):
            owner = rule.id
            taken = []
            for item in rule.items:
                pid, count = item.product_id, item.quantity * choice
                row = rows.get(pid)
                if row:
                    run = row[0]
                    if run.count == count and run.owner is None:  # _take of a first run taken whole (most often)
                        row[0] = Run(pid, run.price, count, run.unit_left, run.floor_bp, run.locked, owner)
                        taken.append((0, pid, count))
                        continue
                taken += _take(rows, pid, count, free_only=True, owner=owner)
            booking = _book(rule, taken, rows, choice, None, terms, fresh=True) if taken else None  # owned: new runs
        elif isinstance(rule, BuyXGetY):
            formed, booking = _apply_groups(rule, rows, terms, choice, free_only=True)
            short = short or formed < choice
        else:
            # Every free run of each product counted, given the volume as its owner; where they reach no tier the
            # volume does not apply and takes none (``docs/engine.md``, "A rule that cannot apply is not
            # allocated"): a later volume may count them.
            counted = terms.counted(rule, rows)
            if rule.tier_for(sum([run.count for pid in counted for run in rows[pid] if run.owner is None])) is None:
                continue
            taken = []
            owner = rule.id
            for pid in counted:
                row = rows[pid]
                for index, run in enumerate(row):
                    if run.owner is None:
                        row[index] = Run(pid, run.price, run.count, run.unit_left, run.floor_bp, run.locked, owner)
                        taken.append((index, pid, run.count))
            booking = _apply_volume(rule, taken, rows, terms, fresh=True)  # each run taken has its owner: fresh
        if booking:
            bookings.append(booking)
    for rule in stackable_rules:
        booking = _apply_stackable(rule, rows, terms, held)
        if booking:
            bookings.append(booking)
    return Priced(rows, bookings, short)


def _apply_volume(rule: VolumeDiscount, taken: list, rows: dict[str, list[Run]], terms: Terms,
                  fresh: bool | set[int] = False) -> Booking | None:
    """A volume discount on the units it took: its tier from all of them, its saving on at most ``max_units``
    (``fresh``: as :func:`_book` reads it)."""
    units = sum(count for _, _, count in taken)
    tier = rule.tier_for(units)
    if tier is None:
        return None
    if rule.max_units is not None and units > rule.max_units:
        taken, rest = _best_units(rule, taken, rows, terms, tier.percent_bp, rule.max_units)
        if rule.exclusive:  # every unit it took is used, discounted or not
            _lock(rows, rest)
    return _book(rule, taken, rows, 1, tier, terms, fresh)


def unit_value(run: Run, rate_bp: int, floor_bp: int | None, cost: int | None) -> int:
    """What a rate saves on one unit of ``run``, times 10000 (to stay whole): its rate of the price left, at most
    its headroom under the strictest of ``floor_bp`` and the run's floor."""
    room = run.unit_left
    strictest = run.floor_bp if floor_bp is None else (floor_bp if run.floor_bp is None else max(floor_bp, run.floor_bp))
    if cost is not None and strictest is not None:
        room = max(0, room - unit_floor(cost, strictest))
    off = run.unit_left * rate_bp
    return off if off < room * 10_000 else room * 10_000


def _best_units(rule: Rule, taken: list, rows: dict[str, list[Run]], terms: Terms, rate_bp: int,
                limit: int) -> tuple[list, list]:
    """The ``limit`` units of ``taken`` the rule saves most on (:func:`unit_value`; ties in unit order), and the rest.

    Splits at most one run; both lists are refs into ``rows`` after the split.
    """
    floor_bp = terms.floor_of(rule)
    ranked = sorted(taken, key=lambda ref: (-unit_value(rows[ref[1]][ref[0]], rate_bp, floor_bp,
                                                          terms.costs.get(ref[1])), ref[1], ref[0]))
    chosen, rest, left = [], [], limit
    cut = None
    for index, pid, count in ranked:
        if left >= count:
            chosen.append((index, pid, count))
            left -= count
        elif left > 0:
            cut = (index, pid, left, count - left)
            left = 0
        else:
            rest.append((index, pid, count))
    if cut is not None:
        index, pid, first, second = cut
        run = rows[pid][index]
        rows[pid][index:index + 1] = [run.changed(count=first), run.changed(count=second)]
        chosen = [(i + 1 if p == pid and i > index else i, p, c) for i, p, c in chosen]
        rest = [(i + 1 if p == pid and i > index else i, p, c) for i, p, c in rest]
        chosen.append((index, pid, first))
        rest.append((index + 1, pid, second))
    return chosen, rest


def _lock(rows: dict[str, list[Run]], refs: list) -> None:
    for index, pid, _ in refs:
        rows[pid][index] = rows[pid][index].changed(locked=True)


def bxgy_saving(rule: BuyXGetY, price: int, applications: int) -> int:
    """What ``applications`` groups save on get units whose price left is ``price``: the percentage of it, or the
    amount off each get unit, never more than ``price``."""
    if rule.mode is PricingMode.PERCENT_OFF:
        return saving_of(rule.mode, rule.value, price, applications)
    return saving_of(PricingMode.AMOUNT_OFF, rule.value * rule.get_quantity, price, applications)


def group_walk(rule: BuyXGetY, runs: Sequence[tuple[int, str, int, int, bool, bool]], limit: int | None):
    """The groups a buy-X-get-Y forms (``docs/engine.md``): ``runs`` are ``(price, product, position, units, buys,
    gets)`` of the usable units in price order (dearest first, then unit order).

    Walking them, a unit fills an open get place first if it may be a get unit; otherwise, while fewer than
    ``limit`` groups are open, it becomes a buy unit, and every ``buy_quantity`` buy units open a group with
    ``get_quantity`` get places. Only complete groups count: returns their number and the segments
    ``(product, position, "buy" | "get", units)`` they use, in walk order.
    """
    need_buy, need_get = rule.buy_quantity, rule.get_quantity
    pending = places = groups = 0
    segments = []
    add = segments.append
    gets_total = 0
    capped = limit is not None
    for _, pid, position, count, buy, get in runs:
        while count:
            if places and get:
                units = count if count < places else places
                places -= units
                gets_total += units
                add((pid, position, "get", units))
            elif buy and (not capped or groups < limit):
                units = need_buy - pending
                if count < units:
                    units = count
                pending += units
                if pending == need_buy:
                    pending, groups, places = 0, groups + 1, places + need_get
                add((pid, position, "buy", units))
            else:
                break
            count -= units
        if capped and groups >= limit and not places:
            break
    formed = gets_total // need_get
    buys_kept, gets_kept = formed * need_buy, formed * need_get
    if gets_total == gets_kept and groups == formed and not pending:  # every group complete: all segments kept
        return formed, segments
    kept = []
    for segment in segments:
        if segment[2] == "buy":
            units = segment[3] if segment[3] < buys_kept else buys_kept
            buys_kept -= units
        else:
            units = segment[3] if segment[3] < gets_kept else gets_kept
            gets_kept -= units
        if units:
            kept.append(segment if units == segment[3] else segment[:3] + (units,))
    return formed, kept


def usable_runs(rule: BuyXGetY, rows: Mapping[str, Sequence[Run]], terms: Terms, *, free_only: bool) -> list:
    """The runs a buy-X-get-Y may take, as :func:`group_walk` wants them, in price order."""
    found = []
    for pid, buy, get in terms.roles(rule, rows):
        for position, run in enumerate(rows[pid]):
            if (run.owner is None) if free_only else not run.locked:
                found.append((-run.price, pid, position, run.count, buy, get))
    found.sort()
    return found


def _apply_groups(rule: BuyXGetY, rows: dict[str, list[Run]], terms: Terms, limit: int | None,
                  *, free_only: bool, fresh: bool | set[int] = False) -> tuple[int, Booking | None]:
    """Form up to ``limit`` groups of ``rule`` on the usable units, and book its saving on their get units."""
    formed, segments = group_walk(rule, usable_runs(rule, rows, terms, free_only=free_only), limit)
    if not formed:
        return 0, None
    owner = rule.id if free_only else None
    # A run's segments come one after another (the walk takes each run in one go): a run taken whole in one role
    # is booked in place; a product with a run taken in part, or in two roles, has its row rebuilt below.
    whole: list[tuple[str, int, str, int]] = []  # (product, position, role, units) of runs taken whole
    plan: dict[str, dict[int, list[list]]] = {}  # product -> position -> [role, units] in walk order, every run
    split: set[str] = set()  # the products whose rows are rebuilt
    last = None
    for segment in segments:
        pid, position, role, units = segment
        if last is not None and last[0] == pid and last[1] == position:  # the same run, another part (its first
            parts = plan[pid][position]                                      # part took less than the run: split)
            if parts[-1][0] == role:
                parts[-1][1] += units
            else:
                parts.append([role, units])
            continue
        by_position = plan.get(pid)
        if by_position is None:
            by_position = plan[pid] = {}
        by_position[position] = [[role, units]]
        if units == rows[pid][position].count:
            whole.append(segment)
        else:
            split.add(pid)
        last = segment
    buys, gets = [], []
    for pid, position, role, units in whole:
        if pid in split:
            continue
        (buys if role == "buy" else gets).append((position, pid, units))
        if owner is not None:  # the runs keep their places: no row is rebuilt
            row = rows[pid]
            run = row[position]
            row[position] = Run(pid, run.price, units, run.unit_left, run.floor_bp, run.locked, owner)
    for pid in plan:
        if pid not in split:
            continue
        by_position = plan[pid]
        rebuilt = []
        for position, run in enumerate(rows[pid]):
            parts = by_position.get(position)
            if not parts:
                rebuilt.append(run)
                continue
            left = run.count
            for role, units in parts:  # the units keep their places: each part where the walk took it
                (buys if role == "buy" else gets).append((len(rebuilt), pid, units))
                rebuilt.append(run.changed(count=units, owner=owner))
                left -= units
            if left:
                rebuilt.append(run.changed(count=left))
        rows[pid] = rebuilt
    if rule.exclusive:  # its buy units are used too
        _lock(rows, buys)
    return formed, _book(rule, gets, rows, formed, None, terms, fresh)


def free_units(row: Sequence[Run]) -> int:
    if len(row) == 1:  # one run (most rows)
        run = row[0]
        return run.count if run.owner is None else 0
    return sum([run.count for run in row if run.owner is None])


def unlocked_units(row: Sequence[Run]) -> int:
    return sum(run.count for run in row if not run.locked)


def _apply_stackable(rule: Rule, rows: dict[str, list[Run]], terms: Terms,
                     fresh: bool | set[int] = False) -> Booking | None:
    """A stackable rule on every unit not locked (``fresh``: as :func:`_book` reads it)."""
    if isinstance(rule, FixedBundle):
        sets = terms.max_sets(rule, {pid: unlocked_units(row) for pid, row in rows.items()})
        if sets <= 0:
            return None
        taken = [ref for item in rule.items
                 for ref in _take(rows, item.product_id, item.quantity * sets, free_only=False, owner=None)]
        return _book(rule, taken, rows, sets, None, terms, fresh)
    if isinstance(rule, BuyXGetY):
        return _apply_groups(rule, rows, terms, terms.cap(rule), free_only=False, fresh=fresh)[1]
    assert isinstance(rule, VolumeDiscount)
    taken = []  # every run not locked of each product counted, its owner kept
    units = 0
    for pid in terms.counted(rule, rows):
        for index, run in enumerate(rows[pid]):
            if not run.locked:
                taken.append((index, pid, run.count))
                units += run.count
    if rule.tier_for(units) is None:
        return None
    return _apply_volume(rule, taken, rows, terms, fresh)
