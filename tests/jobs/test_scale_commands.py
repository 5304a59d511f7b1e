from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from employers.models import Employer, ListingPeriod, RegistryEntry
from jobs.management.commands.jobs_benchmark import SEARCHES
from jobs.management.commands.jobs_generate import NAME_MARKER
from jobs.models import Job, JobWindow
from tests.conftest import load_shipped_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions():
    return load_shipped_regions("4403", "440106")


def _generate(**options) -> None:
    call_command("jobs_generate", stdout=StringIO(), **options)


def _fingerprint() -> list[tuple]:
    return list(
        Job.objects.order_by("pk").values_list(
            "title", "district__code", "pay_unit", "pay_min", "hourly_max", "status"
        )
    )


def test_jobs_generate_creates_listed_employers_and_posts(regions):
    _generate(posts=300, employers=20, seed=1)

    employers = Employer.objects.filter(name__endswith=NAME_MARKER)
    assert employers.count() == 20
    assert RegistryEntry.objects.filter(employer__in=employers, status="approved").count() == 20
    assert ListingPeriod.objects.filter(employer__in=employers, listed_until=None).count() == 20
    assert Job.objects.filter(employer__in=employers).count() == 300
    assert JobWindow.objects.count() > 300
    assert (
        Job.objects.filter(search_vector="保洁").exists()
        or Job.objects.filter(search_vector="客服").exists()
    )


def test_jobs_generate_is_deterministic_for_a_seed(regions):
    _generate(posts=300, employers=20, seed=7)
    first = _fingerprint()

    _generate(clear=True, posts=300, employers=20, seed=7)

    assert _fingerprint() == first


def test_jobs_generate_refuses_to_add_to_generated_data_without_clear(regions):
    _generate(posts=50, employers=5)

    with pytest.raises(CommandError, match="--clear"):
        _generate(posts=50, employers=5)


def test_jobs_generate_clear_removes_only_generated_rows(regions):
    from tests.jobs.factories import make_job

    kept = make_job()
    _generate(posts=50, employers=5)

    _generate(clear=True)

    assert list(Job.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Employer.objects.filter(name__endswith=NAME_MARKER).exists()


def test_jobs_benchmark_prints_a_row_per_search(regions):
    _generate(posts=300, employers=20)
    out = StringIO()

    call_command("jobs_benchmark", requests=2, warmup=0, querysets=True, stdout=out)

    text = out.getvalue()
    assert "p50 ms" in text
    assert "p95 ms" in text
    for search in SEARCHES:
        assert search.label in text
