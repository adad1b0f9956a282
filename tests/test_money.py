from hypothesis import given
from hypothesis import strategies as st

from plugin.engine.money import allocate, divide, percent_of


def test_divide_rounds_half_up_once():
    assert divide(5, 2) == 3
    assert divide(4, 3) == 1
    assert divide(-5, 2) == -3
    assert divide(2_700, 10) == 270


def test_percent_of_the_health_food_set():
    assert percent_of(9_000, 1_000) == 900
    assert percent_of(1_999, 1_000) == 200
    assert percent_of(500, 10_000) == 500


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40),
)
def test_allocate_adds_up_and_never_exceeds_a_part(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
    if total <= sum(weights):
        assert all(part <= weight for part, weight in zip(parts, weights))


def test_allocate_spreads_the_rounding_without_overshooting_a_small_part():
    assert allocate(10, [1, 1, 1]) == [3, 4, 3]
    assert allocate(100, [300, 300, 300]) == [33, 34, 33]
    # Giving the whole remainder to the last part would put 3 on a part weighing 2.
    assert allocate(3, [1] * 10 + [2]) == [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]
