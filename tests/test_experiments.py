"""A/B test statistics and assignment: pure functions, no app needed.

The expected numbers are worked by hand from the textbook formulas (shown next
to each) or taken from published output, not from this module.
"""
from __future__ import annotations

import hashlib
import hmac
import math

import pytest

from plugin.insights.experiments import (
    NOT_ENOUGH_DATA,
    VariantStats,
    incremental,
    two_proportion_test,
    verdict,
    welch_test,
    welch_test_values,
    wilson_interval,
)
from plugin.engine.assignment import assign, in_holdout

VISITORS = [f"visitor-{number}" for number in range(100_000)]
FIFTY_FIFTY = [("A", 1), ("B", 1)]
SALT = "the shop's secret salt"


# Textbook values -----------------------------------------------------------

def test_two_proportion_test_45_of_100_against_30_of_100():
    # Pooled p = 75/200 = 0.375; SE = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = sqrt(3/640),
    # so z = 0.15 / sqrt(3/640) = sqrt(4.8) = 2.19089 and p = 2 * (1 - Phi(2.19089)) = 0.02846.
    result = two_proportion_test(45, 100, 30, 100)
    assert result.difference == pytest.approx(0.15)
    assert result.z == pytest.approx(math.sqrt(4.8))
    assert result.z == pytest.approx(2.1909, abs=5e-5)
    assert result.p_value == pytest.approx(0.0285, abs=5e-5)
    # Wald: 0.15 +- 1.95996 * sqrt(0.45*0.55/100 + 0.30*0.70/100) = 0.15 +- 1.95996 * 0.067639.
    assert result.interval_low == pytest.approx(0.0174, abs=5e-5)
    assert result.interval_high == pytest.approx(0.2826, abs=5e-5)


def test_two_proportion_test_is_antisymmetric_and_sure_of_nothing_without_successes():
    forward = two_proportion_test(45, 100, 30, 100)
    backward = two_proportion_test(30, 100, 45, 100)
    assert backward.z == pytest.approx(-forward.z)
    assert backward.p_value == pytest.approx(forward.p_value)
    nothing = two_proportion_test(0, 500, 0, 700)
    assert (nothing.difference, nothing.z, nothing.p_value) == (0.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        two_proportion_test(1, 0, 1, 10)
    with pytest.raises(ValueError):
        two_proportion_test(11, 10, 1, 10)


def test_wilson_interval_81_of_263():
    # p = 81/263 = 0.30798, z^2/n = 3.84146/263 = 0.014606:
    # centre = (0.30798 + 0.007303) / 1.014606 = 0.310744,
    # half = 1.95996 * sqrt(0.30798*0.69202/263 + 3.84146/(4*263^2)) / 1.014606 = 0.055461.
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)


def test_wilson_interval_edges():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 10)
    # With no successes the lower bound is 0 and the upper is z^2 / (n + z^2) = 3.84146 / 13.84146.
    assert low == 0.0
    assert high == pytest.approx(3.841459 / 13.841459, abs=1e-6)
    low, high = wilson_interval(10, 10)
    assert high == 1.0
    assert low == pytest.approx(10 / 13.841459, abs=1e-6)
    assert wilson_interval(81, 263, confidence=0.99)[0] < wilson_interval(81, 263)[0]


def test_welch_test_from_summary_statistics():
    # n = 20, mean 100, s = 15 against n = 20, mean 95, s = 20:
    # SE = sqrt(225/20 + 400/20) = sqrt(31.25) = 5.5902, t = 5 / 5.5902 = 2/sqrt(5) = 0.8944,
    # df = 31.25^2 / ((11.25^2 + 20^2) / 19) = 976.5625 * 19 / 526.5625 = 35.2374.
    result = welch_test(100, 15**2, 20, 95, 20**2, 20)
    assert result.difference == 5
    assert result.standard_error == pytest.approx(math.sqrt(31.25))
    assert result.statistic == pytest.approx(2 / math.sqrt(5))
    assert result.degrees_of_freedom == pytest.approx(35.2374, abs=5e-5)
    # Normal approximation: p = 2 * (1 - Phi(0.8944)) = 0.3711.
    assert result.p_value == pytest.approx(0.3711, abs=5e-5)
    assert result.interval_low == pytest.approx(5 - 1.959964 * math.sqrt(31.25), abs=1e-5)


def test_welch_test_on_values_matches_r_t_test():
    # R: t.test(c(11,9,10,11,10,12,9,11,12,9), c(11,13,10,13,12,9,11,12,12,11))
    # gives "t = -1.8325, df = 17.9, p-value = 0.08356" with a t distribution.
    first = [11, 9, 10, 11, 10, 12, 9, 11, 12, 9]
    second = [11, 13, 10, 13, 12, 9, 11, 12, 12, 11]
    result = welch_test_values(first, second)
    assert (result.mean_a, result.mean_b) == (10.4, 11.4)
    assert result.difference == pytest.approx(-1.0)
    assert result.statistic == pytest.approx(-1.8325, abs=5e-5)
    assert result.degrees_of_freedom == pytest.approx(17.9, abs=5e-3)
    # The normal approximation is documented to be too eager at 18 degrees of freedom:
    # 2 * Phi(-1.8325) = 0.0669, below R's 0.0836.
    assert result.p_value == pytest.approx(0.0669, abs=5e-5)
    assert result.p_value < 0.08356


def test_incremental_revenue_against_the_holdout():
    # Treated: 4 of 10 visitors buy 3000, 3000, 5000, 5000 (RPV 1600, AOV 4000).
    # Holdout: 3 of 10 buy 2000, 3000, 4000 (RPV 900, AOV 3000).
    treated = [0] * 6 + [3_000, 3_000, 5_000, 5_000]
    holdout = [0] * 7 + [2_000, 3_000, 4_000]
    result = incremental(treated, holdout)
    assert result.revenue_per_visitor.difference == pytest.approx(700)
    assert result.average_order_value is not None
    assert result.average_order_value.difference == pytest.approx(1_000)
    # AOV: variances 4_000_000/3 (treated) and 1_000_000 (holdout), SE = sqrt(4e6/12 + 1e6/3).
    standard_error = math.sqrt(4_000_000 / 12 + 1_000_000 / 3)
    assert result.average_order_value.standard_error == pytest.approx(standard_error)
    assert result.average_order_value.interval_low == pytest.approx(1_000 - 1.959964 * standard_error, abs=1e-2)
    assert result.revenue_per_visitor.interval_low < 700 < result.revenue_per_visitor.interval_high


def test_incremental_without_enough_buyers_has_no_order_value():
    result = incremental([0, 0, 5_000], [0, 0, 0])
    assert result.average_order_value is None
    assert result.revenue_per_visitor.difference == pytest.approx(5_000 / 3)


# Assignment ----------------------------------------------------------------

def test_assignment_is_stable():
    first = [assign(visitor, "exp-1", FIFTY_FIFTY, salt=SALT) for visitor in VISITORS[:1_000]]
    again = [assign(visitor, "exp-1", FIFTY_FIFTY, salt=SALT) for visitor in VISITORS[:1_000]]
    assert first == again


def test_assignment_follows_the_documented_hash():
    # The scheme is part of the contract: changing it would reshuffle running experiments.
    # Bucket = first 8 bytes of HMAC-SHA256(key=salt, "exp-1:visitor-N") mod 10_000; below 500 is
    # the holdout, and the other 9_500 buckets split evenly: 500..5_249 is A, 5_250..9_999 is B.
    for visitor in VISITORS[:2_000]:
        digest = hmac.new(SALT.encode(), f"exp-1:{visitor}".encode(), hashlib.sha256).digest()
        bucket = int.from_bytes(digest[:8], "big") % 10_000
        expected = None if bucket < 500 else "A" if bucket < 5_250 else "B"
        assert assign(visitor, "exp-1", FIFTY_FIFTY, salt=SALT) == expected


def test_without_the_shops_salt_assignments_cannot_be_precomputed():
    ours = [assign(visitor, "exp-1", FIFTY_FIFTY, salt=SALT) for visitor in VISITORS[:10_000]]
    guessed = [assign(visitor, "exp-1", FIFTY_FIFTY, salt="a guess") for visitor in VISITORS[:10_000]]
    assert sum(1 for one, two in zip(ours, guessed) if one != two) / 10_000 > 0.4
    with pytest.raises(TypeError):
        assign("v", "exp-1", FIFTY_FIFTY)  # no salt, no assignment


def test_assignment_follows_the_configured_split():
    results = [assign(visitor, "exp-1", FIFTY_FIFTY, holdout_bp=500, salt=SALT) for visitor in VISITORS]
    held_out = results.count(None) / len(results)
    assert held_out == pytest.approx(0.05, abs=0.003)
    shown = len(results) - results.count(None)
    assert results.count("A") / shown == pytest.approx(0.5, abs=0.005)
    assert results.count("B") / shown == pytest.approx(0.5, abs=0.005)


def test_assignment_follows_uneven_weights():
    results = [assign(visitor, "exp-2", [("A", 1), ("B", 3), ("off", 0)], holdout_bp=0, salt=SALT) for visitor in VISITORS]
    assert results.count(None) == 0
    assert results.count("off") == 0
    assert results.count("A") / len(results) == pytest.approx(0.25, abs=0.005)


def test_assignment_is_independent_across_experiments():
    first = [assign(visitor, "exp-1", FIFTY_FIFTY, salt=SALT) for visitor in VISITORS]
    second = [assign(visitor, "exp-2", FIFTY_FIFTY, salt=SALT) for visitor in VISITORS]
    share_first = first.count("A") / len(VISITORS)
    share_second = second.count("A") / len(VISITORS)
    share_both = sum(1 for one, two in zip(first, second) if one == two == "A") / len(VISITORS)
    assert share_both == pytest.approx(share_first * share_second, abs=0.005)
    # Not the same split under another name: a good share of visitors differ.
    assert sum(1 for one, two in zip(first, second) if one != two) / len(VISITORS) > 0.4


def test_edge_holdouts():
    assert all(assign(visitor, "exp-1", FIFTY_FIFTY, holdout_bp=10_000, salt=SALT) is None for visitor in VISITORS[:100])
    assert all(assign(visitor, "exp-1", FIFTY_FIFTY, holdout_bp=0, salt=SALT) is not None for visitor in VISITORS[:1_000])
    for bad in (-1, 10_001, 5.0):
        with pytest.raises(ValueError):
            assign("v", "exp-1", FIFTY_FIFTY, holdout_bp=bad, salt=SALT)
    for variants in ([], [("A", 0)], [("A", -1), ("B", 2)], [("A", 1), ("A", 1)]):
        with pytest.raises(ValueError):
            assign("v", "exp-1", variants, salt=SALT)


def test_shop_wide_holdout():
    held = [visitor for visitor in VISITORS if in_holdout(visitor, 500, salt=SALT)]
    assert len(held) / len(VISITORS) == pytest.approx(0.05, abs=0.003)
    assert held == [visitor for visitor in VISITORS if in_holdout(visitor, 500, salt=SALT)]
    # A wider holdout contains the narrower one, so raising it never lets anyone back in.
    assert set(held) <= {visitor for visitor in VISITORS if in_holdout(visitor, 1_000, salt=SALT)}
    reshuffled = {visitor for visitor in VISITORS if in_holdout(visitor, 500, salt="another shop")}
    assert len(reshuffled & set(held)) / len(held) == pytest.approx(0.05, abs=0.02)


# Variant statistics and verdicts -------------------------------------------

def test_variant_stats_rates():
    stats = VariantStats(impressions=2_000, clicks=400, takes=300, revenue=1_500_000, visitors=1_500)
    assert stats.click_rate == 0.2
    assert stats.take_rate == 0.15
    assert stats.revenue_per_visitor == 1_000
    assert VariantStats().take_rate == 0.0
    with pytest.raises(ValueError):
        VariantStats(impressions=10, takes=11)
    with pytest.raises(ValueError):
        VariantStats(revenue=-1)


def test_verdict_names_a_clear_winner():
    # 15% against 10% over 2000 impressions each: pooled z = 4.78, p = 1.7e-6.
    result = verdict({"A": VariantStats(impressions=2_000, takes=300), "B": VariantStats(impressions=2_000, takes=200)})
    assert result.winner == "A"
    assert result.message == "A wins"
    assert result.comparisons[0].test.z == pytest.approx(4.7809, abs=5e-5)


def test_verdict_winner_among_three_after_holm():
    # A beats B (260 against 200: p = 0.0029) and C (260 against 215: p = 0.0278); Holm
    # multiplies the smallest p by 2 and the next by 1, so 0.0278 stands and A wins
    # (Bonferroni would double it to 0.0557 and call no winner).
    stats = {
        "A": VariantStats(impressions=2_000, takes=260),
        "B": VariantStats(impressions=2_000, takes=200),
        "C": VariantStats(impressions=2_000, takes=215),
    }
    result = verdict(stats)
    assert result.winner == "A"
    by_variant = {comparison.variant: comparison for comparison in result.comparisons}
    assert by_variant["C"].adjusted_p_value == by_variant["C"].test.p_value == pytest.approx(0.0278, abs=5e-5)
    assert by_variant["B"].adjusted_p_value == pytest.approx(2 * by_variant["B"].test.p_value)


def test_verdict_holm_withholds_a_win_uncorrected_tests_would_give():
    # 260 against 215 twice: each raw p = 0.0278 < 0.05, but Holm's adjusted p is 0.0557.
    stats = {
        "A": VariantStats(impressions=2_000, takes=260),
        "B": VariantStats(impressions=2_000, takes=215),
        "C": VariantStats(impressions=2_000, takes=215),
    }
    result = verdict(stats)
    assert all(comparison.test.p_value < 0.05 for comparison in result.comparisons)
    assert result.winner is None
    assert result.message == NOT_ENOUGH_DATA
    assert "no significant difference" in result.reason
    assert [c.adjusted_p_value for c in result.comparisons] == pytest.approx([0.0557, 0.0557], abs=5e-5)


def test_verdict_small_numbers_are_not_enough_data():
    result = verdict({"A": VariantStats(impressions=50, takes=10), "B": VariantStats(impressions=500, takes=5)})
    assert result.winner is None
    assert result.message == NOT_ENOUGH_DATA
    assert result.reason == "too few trials: A below 200 impressions"


def test_verdict_equal_numbers_are_not_enough_data():
    result = verdict({"A": VariantStats(impressions=5_000, takes=500), "B": VariantStats(impressions=5_000, takes=500)})
    assert result.winner is None
    assert result.message == NOT_ENOUGH_DATA
    assert "no significant difference" in result.reason


def test_verdict_needs_two_variants():
    with pytest.raises(ValueError):
        verdict({"A": VariantStats(impressions=5_000, takes=500)})
