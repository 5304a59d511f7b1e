"""Build job posts through the real services, so derived fields are right."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from employers.models import Employer
from jobs.models import Job
from jobs.schedule import Window, windows_for
from jobs.services import job_create, job_submit
from mamagang.regions.models import Region
from tests.accounts.factories import UserFactory
from tests.employers.factories import RegistryEntryFactory

WEEKDAYS_9_TO_3 = windows_for(range(5), 9 * 60, 15 * 60)


def listed_employer(**kwargs: Any) -> Employer:
    """Return an employer whose registry entry is approved (needs regions loaded)."""
    return RegistryEntryFactory(approved=True, **kwargs).employer


def job_fields(**overrides: Any) -> dict[str, Any]:
    """Return valid input fields for a post in Bao'an (440306)."""
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "title": "电商直播助理",
        "description": "协助主播上架商品、回复评论，上午班，方便接送孩子。",
        "sector": "ecommerce",
        "occupation": "直播助理",
        "post_modes": [Job.PostMode.SELF_CHOSEN_SLOTS],
        "employment_form": Job.EmploymentForm.FULL_TIME_FLEXIBLE,
        "location_mode": Job.LocationMode.ON_SITE,
        "district": Region.objects.get(code="440306"),
        "street": None,
        "address": "新安街道创业路1号",
        "pay_unit": Job.PayUnit.HOUR,
        "pay_min": Decimal("25.00"),
        "pay_max": Decimal("30.00"),
        "pieces_per_hour": None,
        "pay_cycle_days": 30,
        "headcount": 3,
        "education": Job.Education.NONE,
        "certificates": "",
        "other_requirements": "",
        "has_labour_contract": True,
        "contract_months": 12,
        "social_insurance": True,
        "work_injury_insurance": True,
        "training_provided": True,
        "promotion_path": "",
        "valid_from": today - datetime.timedelta(days=1),
        "valid_until": today + datetime.timedelta(days=60),
    }
    fields.update(overrides)
    return fields


def make_job(
    *,
    employer: Employer | None = None,
    windows: list[Window] | None = None,
    publish: bool = True,
    **overrides: Any,
) -> Job:
    """Create a post through job_create (and job_submit when `publish`)."""
    employer = employer or listed_employer()
    user = UserFactory()
    job, _warnings = job_create(
        employer=employer,
        created_by=user,
        fields=job_fields(**overrides),
        windows=WEEKDAYS_9_TO_3 if windows is None else windows,
    )
    if publish:
        job = job_submit(job=job, submitted_by=user)
    return job
