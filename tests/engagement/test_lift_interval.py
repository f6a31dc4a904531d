"""The lift's 95% interval (engagement/lift.py) against published figures, and where
the simple interval fails: small holdouts and rates of 0."""

from __future__ import annotations

import pytest

from engagement.lift import lift_interval, wilson_interval


def test_wilson_matches_newcombes_published_intervals() -> None:
    # Newcombe, "Two-sided confidence intervals for the single proportion" (Statistics
    # in Medicine 17, 1998), the score method: 81/263 -> 0.2553 to 0.3662, and
    # 15/148 -> 0.0624 to 0.1605.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)


def test_the_difference_matches_newcombes_method_10() -> None:
    # Newcombe, "Interval estimation for the difference between independent
    # proportions" (Statistics in Medicine 17, 1998), method 10: 56/70 - 48/80 -> 0.0524 to 0.3339,
    # and 9/10 - 3/10 -> 0.1705 to 0.8090.
    assert lift_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert lift_interval(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_a_small_holdout_that_bought_nothing_still_leaves_room_either_way() -> None:
    # 30 of 200 bought after the campaign, 0 of 6 held out: the point lift is 15
    # points, but six customers cannot show that nothing would have been bought anyway.
    low, high = lift_interval(30, 200, 0, 6)
    assert low < 0 < 0.15 < high


def test_empty_groups_have_no_interval() -> None:
    assert lift_interval(3, 10, 0, 0) is None
    assert lift_interval(0, 0, 1, 5) is None
    with pytest.raises(ValueError):
        wilson_interval(6, 5)
