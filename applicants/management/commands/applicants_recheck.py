"""
manage.py applicants_recheck [--on YYYY-MM-DD]: run the daily eligibility
re-check now (the same service the 02:30 beat task calls) and print its
counts, the elapsed time and the process's peak memory.
"""

from __future__ import annotations

import datetime
import resource
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from applicants.services import applicants_recheck


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB (ru_maxrss: KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Command(BaseCommand):
    help = "Re-check every applicant's eligibility as of a day (default today) and warn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", help="the day to check as of, YYYY-MM-DD (default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = datetime.date.fromisoformat(options["on"]) if options["on"] else None
        except ValueError as exc:
            raise CommandError("--on must be a date, YYYY-MM-DD.") from exc
        on = on or timezone.localdate()
        started = time.perf_counter()
        stats = applicants_recheck(on=on)
        elapsed = time.perf_counter() - started
        reasons = ", ".join(f"{code} {n}" for code, n in sorted(stats.reasons.items())) or "-"
        self.stdout.write(f"Re-check as of {on.isoformat()}:")
        self.stdout.write(f"  checked   {stats.checked}")
        self.stdout.write(f"  changed   {stats.changed}")
        self.stdout.write(f"  eligible  {stats.eligible}")
        self.stdout.write(f"  warned    {stats.warned}")
        self.stdout.write(f"  chunks    {stats.chunks}")
        self.stdout.write(f"  reasons   {reasons}")
        rate = stats.checked / elapsed if elapsed else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {elapsed:.2f} s ({rate:,.0f} applicants/s); "
                f"peak RSS MB {peak_rss_mb():.0f}."
            )
        )
