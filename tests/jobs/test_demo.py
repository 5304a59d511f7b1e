import pytest
from django.utils import timezone

from employers.demo import demo_employers_load
from jobs.demo import demo_jobs_load
from jobs.models import Job, JobEvent, MinimumWage
from jobs.selectors import minimum_hourly_wage
from mamagang.core.demo import demo_users_load
from tests.conftest import load_shipped_regions
from tests.jobs.test_minimum_wages import load_wage_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_data():
    load_shipped_regions("4403", "440106")
    load_wage_regions()
    demo_users_load()
    demo_employers_load()


def test_demo_jobs_publish_catalogue_like_posts_in_several_districts(demo_data):
    demo_jobs_load()

    public = Job.objects.public(today=timezone.localdate())
    assert public.values("district").distinct().count() >= 3
    assert public.filter(
        pay_unit=Job.PayUnit.PIECE, location_mode=Job.LocationMode.AT_HOME, windows__isnull=True
    ).exists()
    assert public.filter(school_run_friendly=True).exists()
    assert public.filter(occupation__in=["保安", "门卫"]).exists()
    assert MinimumWage.objects.exists()


def test_demo_jobs_publish_part_time_posts_at_or_above_the_hourly_minimum(demo_data):
    demo_jobs_load()

    today = timezone.localdate()
    part_time = Job.objects.filter(employment_form=Job.EmploymentForm.PART_TIME_HOURLY)
    for job in part_time.filter(status=Job.Status.PUBLISHED).select_related("district__parent"):
        assert job.hourly_min >= minimum_hourly_wage(district=job.district, on=today), job.title
    below = [
        job
        for job in part_time.filter(status=Job.Status.DRAFT).select_related("district__parent")
        if job.hourly_min < minimum_hourly_wage(district=job.district, on=today)
    ]
    assert len(below) == 1


def test_demo_jobs_show_every_moderation_state(demo_data):
    demo_jobs_load()

    statuses = set(Job.objects.values_list("status", flat=True))
    assert {"published", "draft", "submitted", "returned", "closed"} <= statuses


def test_demo_jobs_load_twice_changes_nothing(demo_data):
    demo_jobs_load()
    counts = (Job.objects.count(), JobEvent.objects.count(), MinimumWage.objects.count())

    message = demo_jobs_load()

    assert "already there" in message
    assert (Job.objects.count(), JobEvent.objects.count(), MinimumWage.objects.count()) == counts
