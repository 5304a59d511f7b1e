"""
Pure functions over weekly time windows, pay and the labour-law rules.
No database access: services and forms call them, tests pin them.

Windows are (weekday 0=Mon..6=Sun, start minute, end minute), end exclusive,
inside one day; an overnight shift is split at midnight into two windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

MINUTES_PER_DAY = 24 * 60
WEEKS_PER_MONTH = Decimal(52) / Decimal(12)
CENT = Decimal("0.01")

# Non-full-time work, 劳动合同法 Arts. 68-72 (DOMAIN.md §2.11).
PART_TIME_MAX_HOURS_PER_DAY = Decimal(4)
PART_TIME_MAX_HOURS_PER_WEEK = Decimal(24)
PART_TIME_MAX_PAY_CYCLE_DAYS = 15


@dataclass(frozen=True, order=True)
class Window:
    weekday: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.weekday <= 6 and 0 <= self.start < self.end <= MINUTES_PER_DAY):
            raise ValueError(f"invalid window {self.weekday} {self.start}-{self.end}")

    @property
    def minutes(self) -> int:
        return self.end - self.start


_TIME_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_time(text: str) -> int:
    """Return minutes after midnight for "HH:MM" (24:00 allowed); raise ValueError."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise ValueError(_("时间格式应为 时:分，例如 09:00。"))
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > MINUTES_PER_DAY:
        raise ValueError(_("时间不能晚于 24:00。"))
    return minutes


def windows_for(weekdays: Iterable[int], start: int, end: int) -> list[Window]:
    """
    Return the windows of one shift on `weekdays`. When `end` is not after
    `start` the shift runs overnight and is split at midnight (the part after
    midnight belongs to the next day; Sunday night continues on Monday).
    """
    if start == end:
        raise ValueError(_("开始和结束时间不能相同。"))
    result: list[Window] = []
    for day in weekdays:
        if end > start:
            result.append(Window(day, start, end))
        else:
            if start < MINUTES_PER_DAY:
                result.append(Window(day, start, MINUTES_PER_DAY))
            if end > 0:
                result.append(Window((day + 1) % 7, 0, end))
    return normalise(result)


def normalise(windows: Iterable[Window]) -> list[Window]:
    """Return the windows sorted, with overlapping or touching ones on a day merged."""
    merged: list[Window] = []
    for window in sorted(windows):
        last = merged[-1] if merged else None
        if last and last.weekday == window.weekday and window.start <= last.end:
            merged[-1] = Window(last.weekday, last.start, max(last.end, window.end))
        else:
            merged.append(window)
    return merged


def hours_per_week(windows: Sequence[Window]) -> Decimal:
    """Return the total weekly hours of `windows`, to one decimal."""
    minutes = sum(window.minutes for window in windows)
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def working_days(windows: Sequence[Window]) -> int:
    return len({window.weekday for window in windows})


def fits_inside(windows: Sequence[Window], free: Sequence[Window]) -> bool:
    """
    Return True if every window lies inside one free window of the same day.
    Touching edges fit (a 09:00-15:00 shift fits a mother free 09:00-15:00).
    A post without windows (free hours, take-home work) fits everyone.
    """
    free_by_day: dict[int, list[Window]] = {}
    for window in normalise(free):
        free_by_day.setdefault(window.weekday, []).append(window)
    return all(
        any(f.start <= w.start and w.end <= f.end for f in free_by_day.get(w.weekday, []))
        for w in windows
    )


def school_run_friendly(windows: Sequence[Window], *, day_start: int, day_end: int) -> bool:
    """
    Return True if the post has windows and all of them lie inside the
    school day (the region's setting, default 08:30-16:00), on any weekday.
    """
    school_day = [Window(day, day_start, day_end) for day in range(7)]
    return bool(windows) and fits_inside(windows, school_day)


def hourly_equivalent(
    *,
    pay_unit: str,
    amount: Decimal,
    hours_week: Decimal,
    days_week: int,
    pieces_per_hour: Decimal | None,
) -> Decimal:
    """
    Return the pay per hour that `amount` per `pay_unit` amounts to, so
    posts paid by the piece, day or month compare with hourly ones:
    piece × pieces per hour; day ÷ hours per working day; month ÷ (weekly
    hours × 52/12).
    """
    if pay_unit == "hour":
        value = amount
    elif pay_unit == "piece":
        if not pieces_per_hour:
            raise ValueError(_("计件岗位请填写每小时约可完成的件数。"))
        value = amount * pieces_per_hour
    elif pay_unit == "day":
        if not hours_week or not days_week:
            raise ValueError(_("按天计薪的岗位请填写工作时间段。"))
        value = amount / (hours_week / days_week)
    elif pay_unit == "month":
        if not hours_week:
            raise ValueError(_("按月计薪的岗位请填写工作时间段。"))
        value = amount / (hours_week * WEEKS_PER_MONTH)
    else:
        raise ValueError(f"unknown pay unit {pay_unit!r}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LabourWarning:
    code: str
    message: str


def part_time_warnings(
    *,
    windows: Sequence[Window],
    hourly_min: Decimal,
    pay_cycle_days: int,
    minimum_hourly: Decimal | None,
) -> list[LabourWarning]:
    """
    Return what a non-full-time (非全日制) post breaks, as warnings, not
    errors: the 4-hour daily limit is an average (劳动合同法 Art. 68), so a
    person decides. Checks: ≤ 4 h a day on average and ≤ 24 h a week with
    one employer (Art. 68); hourly pay not below the local hourly minimum
    (Art. 72); pay settled at least every 15 days (Art. 72).
    """
    warnings: list[LabourWarning] = []
    week = hours_per_week(windows)
    days = working_days(windows)
    if week > PART_TIME_MAX_HOURS_PER_WEEK:
        warnings.append(
            LabourWarning(
                "part_time_week_hours",
                _("非全日制用工每周工作时间累计不超过24小时，本岗位为%(h)s小时。") % {"h": week},
            )
        )
    if days and week / days > PART_TIME_MAX_HOURS_PER_DAY:
        average = (week / days).quantize(Decimal("0.1"))
        warnings.append(
            LabourWarning(
                "part_time_day_hours",
                _("非全日制用工平均每日工作时间不超过4小时，本岗位平均为%(h)s小时。")
                % {"h": average},
            )
        )
    if minimum_hourly is not None and hourly_min < minimum_hourly:
        warnings.append(
            LabourWarning(
                "below_hourly_minimum_wage",
                _("折合时薪%(pay)s元低于当地非全日制小时最低工资%(min)s元。")
                % {"pay": hourly_min, "min": minimum_hourly},
            )
        )
    if minimum_hourly is None:
        warnings.append(
            LabourWarning(
                "minimum_wage_unknown",
                _("平台尚无当地小时最低工资标准，请自行核对报酬不低于当地标准。"),
            )
        )
    if pay_cycle_days > PART_TIME_MAX_PAY_CYCLE_DAYS:
        warnings.append(
            LabourWarning(
                "part_time_pay_cycle",
                _("非全日制用工劳动报酬结算支付周期最长不超过15日，本岗位为%(d)s日。")
                % {"d": pay_cycle_days},
            )
        )
    return warnings
