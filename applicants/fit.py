"""
How well a person fits a post, as pure functions (no database): the share
of the post's weekly hours inside her free (or offered) windows, whether
the post is in her district, and which of her skills the post asks for.
Used by the employer's applicant list and by "jobs for me".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobs.schedule import Window, normalise


def overlap_minutes(windows: Sequence[Window], free: Sequence[Window]) -> int:
    """Return the minutes of `windows` that lie inside `free` (both weekly)."""
    free_by_day: dict[int, list[Window]] = {}
    for window in normalise(free):
        free_by_day.setdefault(window.weekday, []).append(window)
    total = 0
    for window in normalise(windows):
        for f in free_by_day.get(window.weekday, ()):
            total += max(0, min(window.end, f.end) - max(window.start, f.start))
    return total


def schedule_overlap(windows: Sequence[Window], free: Sequence[Window]) -> int | None:
    """
    Return the percentage (0-100) of the post's weekly minutes inside her
    windows; None when the post has no fixed windows (free hours, take-home).
    """
    minutes = sum(w.minutes for w in normalise(windows))
    if minutes == 0:
        return None
    return round(100 * overlap_minutes(windows, free) / minutes)


def matched_skills(skills: Iterable[str], post_text: str) -> list[str]:
    """Return her skills (and certificates) that the post's text mentions."""
    text = post_text.lower()
    return [skill for skill in skills if skill and skill.lower() in text]


@dataclass(frozen=True)
class Fit:
    overlap_percent: int | None  # None: the post has no fixed hours
    same_district: bool
    skills: tuple[str, ...]

    @property
    def schedule_fits(self) -> bool:
        return self.overlap_percent is None or self.overlap_percent == 100


def fit_for(
    *,
    job_windows: Sequence[Window],
    her_windows: Sequence[Window],
    job_district_id: int,
    her_district_id: int,
    skills: Iterable[str],
    post_text: str,
) -> Fit:
    return Fit(
        overlap_percent=schedule_overlap(job_windows, her_windows),
        same_district=job_district_id == her_district_id,
        skills=tuple(matched_skills(skills, post_text)),
    )


def windows_from_rows(rows: Iterable) -> list[Window]:
    """Windows from model rows (weekday/start_minute/end_minute) or [d, s, e] lists."""
    result = []
    for row in rows:
        if isinstance(row, list | tuple):
            result.append(Window(*row))
        else:
            result.append(Window(row.weekday, row.start_minute, row.end_minute))
    return result
