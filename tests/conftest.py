import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from mamagang.accounts.roles import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def services_required() -> bool:
    """With MAMAGANG_REQUIRE_SERVICES=1 (CI), a missing service fails instead of skipping."""
    return os.environ.get("MAMAGANG_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


# What a test needs that a fresh machine may lack, and how to get it and run those
# tests: printed at the end of the run for every test skipped for want of it.
MISSING_SERVICES = {
    "Redis": (
        "worker",
        "start Redis (Debian: apt-get install redis-server; redis-server --daemonize yes)",
        'REDIS_URL=redis://127.0.0.1:6379/0 make test ARGS="-m worker"',
    ),
    "Chromium": (
        "e2e",
        "run `make browser` (Debian's chromium and a CJK font; needs root or sudo)",
        'make test ARGS="-m e2e"',
    ),
}
_SKIP_PREFIX = "needs {service}: "


def skip_for_missing_service(service: str, reason: str) -> None:
    """Skip the test because `service` is missing (fail instead under MAMAGANG_REQUIRE_SERVICES)."""
    assert service in MISSING_SERVICES, service
    if services_required():
        pytest.fail(f"MAMAGANG_REQUIRE_SERVICES is set but {reason}")
    pytest.skip(_SKIP_PREFIX.format(service=service) + reason)


def pytest_terminal_summary(terminalreporter):
    """Say which tests were skipped for a missing service, and how to run them."""
    skipped: dict[str, list[str]] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        for service in MISSING_SERVICES:
            if reason.startswith(_SKIP_PREFIX.format(service=service)):
                skipped.setdefault(service, []).append(f"{report.nodeid}  ({reason})")
    if not skipped:
        return
    terminalreporter.section("tests skipped because a service is missing")
    for service, tests in skipped.items():
        marker, get_it, command = MISSING_SERVICES[service]
        terminalreporter.write_line(f"{service} is missing: {len(tests)} test(s) skipped")
        for test in tests:
            terminalreporter.write_line(f"  {test}")
        terminalreporter.write_line(f"  To run them: {get_it}, then")
        terminalreporter.write_line(f"    {command}")
        terminalreporter.write_line(f"  (they are the tests marked `{marker}`)")


def seed_reference_rows() -> None:
    """
    Recreate what the data migrations seed: the role groups with their
    permissions and the subsidy types. A transactional test's flush removes
    them, and tests that run after it (in any order) may need them.
    """
    import importlib

    from django.apps import apps as django_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission

    from mamagang.accounts.roles import ROLE_PERMISSIONS
    from subsidies.models import SubsidyType

    seed = importlib.import_module("subsidies.migrations.0002_subsidy_types_and_roles")
    for code, name, payee, description in seed.TYPES:
        SubsidyType.objects.get_or_create(
            code=code, defaults={"name": name, "payee": payee, "description": description}
        )
    if Group.objects.filter(name__in=[str(role) for role in ROLE_PERMISSIONS]).count() == len(
        ROLE_PERMISSIONS
    ):
        return
    for app_config in django_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    permissions = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type")
    }
    for role, dotted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        wanted = [tuple(name.split(".")) for name in dotted]
        missing = [".".join(key) for key in wanted if key not in permissions]
        assert not missing, f"no permission rows for {role}: {missing}"
        group.permissions.set([permissions[key] for key in wanted])


@pytest.fixture(autouse=True)
def _reference_rows_after_flush(request):
    """Transactional tests start with the migrations' rows, whatever ran before them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        seed_reference_rows()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Give every test an empty cache (login failure counts live there)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    from mamagang.core import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def make_user(db):
    from tests.accounts.factories import UserFactory

    def _make(role: str | None = None, **kwargs):
        user = UserFactory(**kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return _make


@pytest.fixture
def applicant(make_user):
    return make_user(Role.APPLICANT)


@pytest.fixture
def employer_member(make_user):
    return make_user(Role.EMPLOYER_MEMBER)


@pytest.fixture
def staff_user(make_user):
    return make_user(Role.BUREAU_STAFF)


@pytest.fixture
def bureau_admin(make_user):
    return make_user(Role.BUREAU_ADMIN)


SHIPPED_REGIONS = "mamagang/regions/data/regions-2023.csv.gz"


def load_shipped_regions(*prefixes: str) -> dict[str, "object"]:
    """
    Create the shipped regions whose code starts with any of `prefixes`,
    plus their ancestors, and return them by code. Codes come from the data
    file, never typed from memory.
    """
    import csv
    import gzip
    from pathlib import Path

    from django.conf import settings

    from mamagang.regions.models import Region

    with gzip.open(Path(settings.BASE_DIR) / SHIPPED_REGIONS, "rt", encoding="utf-8") as fh:
        rows = {row["code"]: row for row in csv.DictReader(fh)}
    wanted = {code for code in rows if code.startswith(prefixes)}
    for code in list(wanted):
        parent = rows[code]["parent_code"]
        while parent:
            wanted.add(parent)
            parent = rows[parent]["parent_code"]
    # Regions already loaded (an earlier call) are reused, not created again.
    created: dict[str, Region] = {r.code: r for r in Region.objects.filter(code__in=wanted)}
    rank = {"province": 0, "city": 1, "district": 2, "street": 3}
    for code in sorted(wanted - set(created), key=lambda c: (rank[rows[c]["level"]], c)):
        row = rows[code]
        created[code] = Region.objects.create(
            code=code,
            name=row["name"],
            level=row["level"],
            parent=created.get(row["parent_code"]),
            valid_from="2023-01-01",
            source_version="test",
        )
    return created


@pytest.fixture
def shenzhen_guangzhou(db):
    """All of Shenzhen (4403) and Guangzhou's Tianhe district (440106), with ancestors."""
    return load_shipped_regions("4403", "440106")
