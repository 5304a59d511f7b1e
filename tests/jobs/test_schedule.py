from decimal import Decimal

import pytest

from jobs.schedule import (
    Window,
    fits_inside,
    hourly_equivalent,
    hours_per_week,
    normalise,
    parse_time,
    part_time_warnings,
    school_run_friendly,
    windows_for,
)

H = 60


def test_parse_time_accepts_hh_mm_and_24_00():
    assert parse_time("09:00") == 540
    assert parse_time("9:30") == 570
    assert parse_time("24:00") == 1440
    for bad in ("25:00", "24:01", "9", "09:60", ""):
        with pytest.raises(ValueError, match="时间"):
            parse_time(bad)


def test_windows_for_splits_an_overnight_shift_at_midnight():
    assert windows_for([4], 22 * H, 2 * H) == [Window(4, 22 * H, 1440), Window(5, 0, 2 * H)]
    # Sunday night continues on Monday.
    assert windows_for([6], 23 * H, 1 * H) == [Window(0, 0, H), Window(6, 23 * H, 1440)]


def test_normalise_merges_touching_and_overlapping_windows():
    merged = normalise(
        [Window(0, 9 * H, 12 * H), Window(0, 12 * H, 15 * H), Window(0, 14 * H, 16 * H)]
    )

    assert merged == [Window(0, 9 * H, 16 * H)]


def test_hours_per_week_sums_all_windows():
    assert hours_per_week(windows_for(range(5), 9 * H, 15 * H)) == Decimal("30.0")
    assert hours_per_week(windows_for([0], 8 * H + 30, 11 * H)) == Decimal("2.5")


@pytest.mark.parametrize(
    ("post", "free", "fits"),
    [
        # exactly touching edges fit
        (windows_for(range(5), 9 * H, 15 * H), windows_for(range(5), 9 * H, 15 * H), True),
        # one minute over does not
        (windows_for(range(5), 9 * H, 15 * H + 1), windows_for(range(5), 9 * H, 15 * H), False),
        # a day the mother is not free
        (windows_for(range(6), 9 * H, 12 * H), windows_for(range(5), 8 * H, 16 * H), False),
        # several windows a day, each inside one free window
        (
            [Window(0, 9 * H, 11 * H), Window(0, 14 * H, 16 * H)],
            [Window(0, 8 * H, 12 * H), Window(0, 13 * H, 17 * H)],
            True,
        ),
        # a window spanning the mother's gap does not fit
        ([Window(0, 11 * H, 14 * H)], [Window(0, 8 * H, 12 * H), Window(0, 13 * H, 17 * H)], False),
        # overnight post against an evening-and-early-morning free time
        (windows_for([4], 22 * H, 2 * H), windows_for([4], 20 * H, 6 * H), True),
        (windows_for([4], 22 * H, 2 * H), windows_for([4], 20 * H, 24 * H), False),
        # no windows (take-home piecework) fits everyone
        ([], windows_for([0], 9 * H, 10 * H), True),
    ],
)
def test_fits_inside(post, free, fits):
    assert fits_inside(post, free) is fits


def test_school_run_friendly_needs_windows_inside_the_school_day():
    day = {"day_start": 8 * H + 30, "day_end": 16 * H}

    assert school_run_friendly(windows_for(range(5), 8 * H + 30, 16 * H), **day)
    assert not school_run_friendly(windows_for(range(5), 8 * H, 15 * H), **day)
    assert not school_run_friendly([], **day)


@pytest.mark.parametrize(
    ("unit", "amount", "pieces", "expected"),
    [
        ("hour", "18", None, "18.00"),
        # Zoucheng knitting: 30 pieces ≈ 100 CNY, about 3 pieces an hour.
        ("piece", "3.33", "3", "9.99"),
        # 150 a day for 5 days × 6 h = 25 an hour
        ("day", "150", None, "25.00"),
        # 3,900 a month for 30 h a week: 3900 / (30 × 52/12) = 30
        ("month", "3900", None, "30.00"),
    ],
)
def test_hourly_equivalent(unit, amount, pieces, expected):
    value = hourly_equivalent(
        pay_unit=unit,
        amount=Decimal(amount),
        hours_week=Decimal("30"),
        days_week=5,
        pieces_per_hour=Decimal(pieces) if pieces else None,
    )

    assert value == Decimal(expected)


def test_hourly_equivalent_of_piece_rate_needs_pieces_per_hour():
    with pytest.raises(ValueError, match="件数"):
        hourly_equivalent(
            pay_unit="piece",
            amount=Decimal(1),
            hours_week=Decimal(0),
            days_week=0,
            pieces_per_hour=None,
        )


def test_part_time_warnings_for_each_rule():
    windows = windows_for(range(6), 9 * H, 14 * H)  # 5 h a day, 30 h a week

    codes = {
        w.code
        for w in part_time_warnings(
            windows=windows,
            hourly_min=Decimal("20"),
            pay_cycle_days=30,
            minimum_hourly=Decimal("23.7"),
        )
    }

    assert codes == {
        "part_time_week_hours",
        "part_time_day_hours",
        "below_hourly_minimum_wage",
        "part_time_pay_cycle",
    }


def test_part_time_warnings_none_for_a_lawful_post():
    windows = windows_for(range(5), 9 * H, 13 * H)  # 4 h a day, 20 h a week

    assert (
        part_time_warnings(
            windows=windows,
            hourly_min=Decimal("25"),
            pay_cycle_days=15,
            minimum_hourly=Decimal("23.7"),
        )
        == []
    )


def test_part_time_warnings_say_when_the_minimum_wage_is_unknown():
    warnings = part_time_warnings(
        windows=windows_for([0], 9 * H, 12 * H),
        hourly_min=Decimal("25"),
        pay_cycle_days=7,
        minimum_hourly=None,
    )

    assert [w.code for w in warnings] == ["minimum_wage_unknown"]
