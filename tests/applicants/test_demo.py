import datetime

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string

from applicants.eligibility import statutory_retirement
from applicants.models import (
    Applicant,
    Application,
    ApplicationEvent,
    Child,
    Consent,
    EligibilityPolicy,
    Employment,
)
from applicants.selectors_me import profile_areas
from mamagang.core.models import AuditEvent, Notification
from tests.conftest import load_shipped_regions
from tests.jobs.test_minimum_wages import load_wage_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_regions():
    # Shenzhen, Tianhe and 中山 (a city whose streets hang off the city).
    load_shipped_regions("4403", "440106", "4420")
    load_wage_regions()


def _demo_load() -> list[str]:
    """Run every demo step in order, as `manage.py demo_load` does."""
    return [str(import_string(step)()) for step in settings.MAMAGANG_DEMO_STEPS]


def _counts() -> dict[str, int]:
    models = (
        Applicant,
        Child,
        Consent,
        Application,
        ApplicationEvent,
        Employment,
        EligibilityPolicy,
        Notification,
        AuditEvent,
    )
    return {m.__name__: m.objects.count() for m in models}


def _by_phone(phone: str) -> Applicant:
    return Applicant.objects.select_related("user").get(user__phone=phone)


def test_demo_applicants_step_runs_after_the_posts():
    steps = settings.MAMAGANG_DEMO_STEPS

    assert steps.index("applicants.demo.demo_applicants_load") > steps.index(
        "jobs.demo.demo_jobs_load"
    )


def test_demo_mothers_cover_every_application_status_and_load_twice_unchanged(demo_regions):
    # given
    _demo_load()
    counts = _counts()

    # when
    messages = _demo_load()

    # then: nothing new the second time
    assert "already there" in messages[-1]
    assert _counts() == counts

    by_status = dict(Application.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert set(by_status) == set(Application.Status.values)
    assert Applicant.objects.count() >= 11
    assert {
        code[:6] for code in Applicant.objects.values_list("residence_district__code", flat=True)
    } >= {"440306", "440305", "440307", "440106", "442000"}

    hires = Employment.objects.filter(source=Employment.Source.APPLICATION)
    assert hires.count() == 2
    assert all(e.declared_mamagang and e.declared_at for e in hires)
    assert Employment.objects.filter(source=Employment.Source.OFFLINE).count() == 1
    interview = Application.objects.get(status="interview", applicant__user__phone="13800000001")
    assert interview.interview_at > timezone.now()


def test_demo_li_xiaomei_has_a_complete_profile(demo_regions):
    _demo_load()

    li = _by_phone("13800000001")

    assert all(area.done for area in profile_areas(li))
    today = timezone.localdate()
    children = sorted(li.children.all(), key=lambda c: (c.birth_year, c.birth_month))
    ages = [
        (today.year * 12 + today.month - c.birth_year * 12 - c.birth_month) // 12 for c in children
    ]
    assert ages == [7, 2]
    assert [c.verified_at is not None for c in children] == [True, False]
    assert sorted(li.free_windows.values_list("weekday", "start_minute", "end_minute")) == [
        (day, 540, 900) for day in range(5)
    ]
    assert li.intended_post_modes == ["self_chosen_slots"]
    assert li.intended_sectors == ["ecommerce"]
    assert li.training_needs == ["live_streaming"]
    assert set(li.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True)) == set(
        Consent.Kind.values
    )
    assert li.eligibility == Applicant.Eligibility.ELIGIBLE
    assert li.residence_district.code == "440306"


def test_demo_recheck_warns_one_mother_and_her_employer(demo_regions):
    _demo_load()

    warned = Notification.objects.filter(kind="eligibility.ending")
    assert warned.count() == 1
    mother = _by_phone(warned.get().recipient.phone)
    today = timezone.localdate()
    assert today < mother.eligible_until <= today + datetime.timedelta(days=60)
    assert mother.eligibility_warned_until == mother.eligible_until
    employer = mother.employments.get().employer
    members = set(employer.memberships.values_list("user_id", flat=True))
    assert (
        set(
            Notification.objects.filter(kind="eligibility.ending.employer").values_list(
                "recipient_id", flat=True
            )
        )
        == members
    )


def test_demo_mothers_show_the_eligibility_cases(demo_regions):
    _demo_load()
    today = timezone.localdate()

    over_limit = _by_phone("13800000013")
    assert over_limit.eligibility_reasons == ["no_qualifying_child"]
    unverified = _by_phone("13800000015")
    assert unverified.eligibility_reasons == ["child_not_verified"]
    near = _by_phone("13800000014")
    retires = statutory_retirement(near.birth_date, near.retirement_category).date
    assert near.eligibility == Applicant.Eligibility.ELIGIBLE
    assert near.eligible_until == retires
    assert today + datetime.timedelta(days=60) < retires <= today + datetime.timedelta(days=366)
    # 中山 admits other caregivers of children from 2023-11-02.
    policy = EligibilityPolicy.objects.get(region__code="442000")
    assert policy.valid_from == datetime.date(2023, 11, 2)
    assert policy.legal_reference == "中府函〔2023〕270号"
    assert set(policy.admitted_categories) == {"mother", "other_caregiver_child"}
    grandmother = _by_phone("13800000020")
    assert grandmother.category == Applicant.Category.OTHER_CAREGIVER_CHILD
    assert grandmother.eligibility == Applicant.Eligibility.ELIGIBLE
