"""manage.py regions_load: load (or refresh) administrative divisions."""

import datetime
import re
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mamagang.regions.services import SHIPPED_FILE, RegionDataError, regions_load

_VERSION_IN_NAME = re.compile(r"regions-(?P<version>[0-9A-Za-z._-]+?)\.csv(?:\.gz)?")
_MAX_ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Load administrative divisions from a CSV or gzip CSV (code,name,level,parent_code); "
        "by default the shipped file. Safe to run again: an already loaded file is skipped."
    )

    def add_base_argument(self, parser: CommandParser, *args: Any, **kwargs: Any) -> None:
        # --version names the data version here, not Django's.
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=SHIPPED_FILE, help="data file (default: shipped)"
        )
        parser.add_argument(
            "--version", dest="data_version", help='default: from the name "regions-<version>.csv"'
        )
        parser.add_argument(
            "--valid-from",
            type=datetime.date.fromisoformat,
            help="date new codes take effect (YYYY-MM-DD); default 1 January of a year version",
        )
        parser.add_argument(
            "--keep-missing",
            action="store_true",
            help="do not retire codes absent from the file (for partial files)",
        )
        parser.add_argument(
            "--force", action="store_true", help="load even if this file was the last one loaded"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        version = options["data_version"] or _version_from_name(path)
        valid_from = options["valid_from"] or _valid_from_for(version)

        started = time.perf_counter()
        try:
            result = regions_load(
                path=path,
                version=version,
                valid_from=valid_from,
                retire_missing=not options["keep_missing"],
                force=options["force"],
            )
        except RegionDataError as exc:
            lines = [
                f"  row {line}: {reason}" if line else f"  {reason}"
                for line, reason in exc.errors[:_MAX_ERRORS_SHOWN]
            ]
            if len(exc.errors) > _MAX_ERRORS_SHOWN:
                lines.append(f"  ... and {len(exc.errors) - _MAX_ERRORS_SHOWN} more")
            raise CommandError(
                f"{path.name}: {len(exc.errors)} problem(s); nothing was loaded.\n"
                + "\n".join(lines)
            ) from exc
        elapsed = time.perf_counter() - started

        if result.skipped:
            self.stdout.write(
                f"Regions {version} ({result.sha256[:12]}) already loaded: "
                f"{result.row_count} rows unchanged ({elapsed:.2f} s)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded regions {version} ({result.sha256[:12]}), {result.row_count} rows: "
                f"{result.created} created, {result.updated} updated, "
                f"{result.retired} retired, {result.unchanged} unchanged ({elapsed:.2f} s)."
            )
        )


def _version_from_name(path: Path) -> str:
    match = _VERSION_IN_NAME.fullmatch(path.name)
    if match is None:
        raise CommandError(f'Cannot tell the version from "{path.name}": pass --version.')
    return match["version"]


def _valid_from_for(version: str) -> datetime.date:
    # An annual list has no day precision: take the first day of its year.
    if re.fullmatch(r"(19|20)[0-9]{2}", version):
        return datetime.date(int(version), 1, 1)
    raise CommandError(f'Version "{version}" is not a year: pass --valid-from.')
