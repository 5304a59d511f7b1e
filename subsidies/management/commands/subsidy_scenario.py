"""
manage.py subsidy_scenario FILE...: run subsidy scenario files (issue 6 item
5; format in docs/subsidy-scenarios.md). Each file runs in a transaction
that is rolled back, so the command is safe on a live database: bureau
staff use it to try a policy change before it goes live.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from subsidies.scenario import ScenarioResult, scenario_run


class Command(BaseCommand):
    help = (
        "Run subsidy scenario files (YAML; a directory runs its *.yaml). Prints PASS or FAIL "
        "per expectation and exits non-zero on any failure. Nothing is kept: each file runs "
        "in a transaction that is rolled back. The scenario's regions must be loaded "
        "(manage.py regions_load)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = []
        for path in options["paths"]:
            if path.is_dir():
                files += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
            else:
                files.append(path)
        if not files:
            raise CommandError("No scenario files found.")
        verbose = options["verbosity"] >= 2
        results = [self._report(scenario_run(path), verbose=verbose) for path in files]

        outcomes = [o for r in results for o in r.outcomes]
        failed = sum(not o.passed for o in outcomes)
        broken = sum(r.error is not None for r in results)
        summary = (
            f"{len(results)} file(s), {len(outcomes)} expectation(s): "
            f"{len(outcomes) - failed} passed, {failed} failed"
            + (f", {broken} file(s) could not run" if broken else "")
        )
        if failed or broken:
            self.stdout.write(self.style.ERROR(summary))
            raise CommandError(f"{failed} expectation(s) failed, {broken} file(s) could not run.")
        self.stdout.write(self.style.SUCCESS(summary))

    def _report(self, result: ScenarioResult, *, verbose: bool) -> ScenarioResult:
        title = f"{result.path}" + (f": {result.name}" if result.name else "")
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        if result.error is not None:
            self.stdout.write(self.style.ERROR(f"  ERROR {result.error}"))
            if verbose and result.error_trace:
                self.stdout.write(result.error_trace)
            return result
        for outcome in result.outcomes:
            if outcome.passed:
                self.stdout.write(f"  {self.style.SUCCESS('PASS')} {outcome.label}")
                if verbose and outcome.detail:
                    self.stdout.write(f"       {outcome.detail}")
            else:
                self.stdout.write(f"  {self.style.ERROR('FAIL')} {outcome.label}")
                self.stdout.write(f"       {outcome.detail}")
        return result
