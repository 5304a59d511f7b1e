"""
Read use-cases of a mother's own area (/me/): her profile fully loaded, her
applications and employments, the post she applies to, and the copy of all
her data she may take with her (PIPL Art. 45).

Everything here is scoped to one applicant, so another person's row is
simply not found: "not yours" and "does not exist" are the same 404.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from employers.models import RegistryEntry
from jobs.models import Job, JobWindow
from mamagang.core.crypto import decrypt_text

from .eligibility import EligibilityResult
from .models import Applicant, Application, ApplicationEvent, Consent, Employment, SavedSearch
from .selectors import applicant_eligibility

if TYPE_CHECKING:
    from mamagang.accounts.models import User

# How many applications the dashboard shows; the rest are on the list page.
RECENT_APPLICATIONS = 5


def applicant_get_for_user(*, user: User) -> Applicant | None:
    """
    Return `user`'s active applicant profile with her account and residence
    (one query), or None if she has not created one (or it was deleted).
    """
    if not user.is_authenticated:
        return None
    return (
        Applicant.objects.filter(user=user, anonymised_at__isnull=True)
        .select_related("user", "residence_district__parent", "residence_street")
        .first()
    )


def consent_list_for_applicant(*, applicant: Applicant) -> QuerySet[Consent]:
    """Return all her consents, given and withdrawn, newest first."""
    return Consent.objects.filter(applicant=applicant).order_by("-given_at", "-pk")


def application_list_for_applicant(*, applicant: Applicant) -> QuerySet[Application]:
    """Return her applications, newest first, with the post and employer the lists show."""
    return (
        Application.objects.filter(applicant=applicant)
        .select_related("job__employer", "job__district")
        .order_by("-submitted_at", "-pk")
    )


def application_get_for_applicant(*, applicant: Applicant, pk: int) -> Application:
    """
    Return one of her applications with its post, windows and full history;
    raise Application.DoesNotExist for anyone else's (the view's 404).
    """
    return (
        application_list_for_applicant(applicant=applicant)
        .select_related("job__street", "job__district__parent")
        .prefetch_related(
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("occurred_at", "pk")),
            Prefetch(
                "job__windows", queryset=JobWindow.objects.order_by("weekday", "start_minute")
            ),
        )
        .get(pk=pk)
    )


def application_get_live_for_job(*, applicant: Applicant, job: Job) -> Application | None:
    """Return her live (not withdrawn, rejected or hired) application to `job`, if any."""
    return (
        Application.objects.filter(applicant=applicant, job=job)
        .exclude(
            status__in=[
                Application.Status.WITHDRAWN,
                Application.Status.REJECTED,
                Application.Status.HIRED,
            ]
        )
        .first()
    )


def employment_list_for_applicant(
    *, applicant: Applicant, current_on: datetime.date | None = None
) -> QuerySet[Employment]:
    """
    Return her employments, newest first, with employer and post; with
    `current_on`, only those not ended before that day.
    """
    employments = Employment.objects.filter(applicant=applicant).select_related("employer", "job")
    if current_on is not None:
        employments = employments.filter(Q(end_date__isnull=True) | Q(end_date__gte=current_on))
    return employments.order_by("-start_date", "-pk")


@dataclass(frozen=True)
class ProfileArea:
    """One area of her profile on the dashboard: is it filled in, and where to edit it."""

    key: str
    url_name: str
    done: bool
    optional: bool = False


def profile_areas(applicant: Applicant) -> list[ProfileArea]:
    """
    Return the profile areas in the survey's order with whether each is
    filled in (reads the prefetched children, windows and work history).
    """
    has_children = bool(applicant.children.all())
    return [
        ProfileArea("personal", "applicants:me-personal", bool(applicant.education)),
        ProfileArea(
            "children",
            "applicants:me-children",
            has_children or bool(applicant.care_duties),
        ),
        ProfileArea(
            "availability", "applicants:me-availability", bool(applicant.free_windows.all())
        ),
        ProfileArea(
            "intentions",
            "applicants:me-intentions",
            bool(
                applicant.intended_post_modes
                or applicant.intended_location_modes
                or applicant.intended_employment_forms
                or applicant.intended_sectors
                or applicant.hours_per_week
            ),
        ),
        ProfileArea(
            "training",
            "applicants:me-training",
            bool(applicant.training_needs or applicant.training_other),
            optional=True,
        ),
        ProfileArea(
            "experience",
            "applicants:me-experience",
            bool(applicant.experiences.all()),
            optional=True,
        ),
    ]


@dataclass(frozen=True)
class Dashboard:
    applicant: Applicant
    areas: list[ProfileArea]
    eligibility: EligibilityResult
    recent_applications: list[Application]
    more_applications: bool
    employments: list[Employment]


def applicant_dashboard(*, applicant: Applicant, today: datetime.date) -> Dashboard:
    """
    Return what her dashboard shows, in a fixed number of queries whatever
    the number of applications: the eligibility under her district's policy
    today, the newest applications and her current employments.
    """
    # One row more than shown tells whether to offer "all applications".
    prefetch_related_objects([applicant], "children", "free_windows", "experiences")
    applications = list(
        application_list_for_applicant(applicant=applicant)[: RECENT_APPLICATIONS + 1]
    )
    return Dashboard(
        applicant=applicant,
        areas=profile_areas(applicant),
        eligibility=applicant_eligibility(applicant=applicant, on=today),
        recent_applications=applications[:RECENT_APPLICATIONS],
        more_applications=len(applications) > RECENT_APPLICATIONS,
        employments=list(employment_list_for_applicant(applicant=applicant, current_on=today)),
    )


def job_get_for_apply(*, pk: int, today: datetime.date) -> tuple[Job, bool]:
    """
    Return (post, accepts applications) for the apply page: a public post
    (accepting), or one that was published and has ended while its employer
    is still listed (shown with a notice). Raise Job.DoesNotExist for
    anything else, as the public post page does.
    """
    listed = Q(employer__registry_entries__status=RegistryEntry.Status.APPROVED)
    public = Q(status=Job.Status.PUBLISHED, valid_from__lte=today, valid_until__gte=today)
    ended = Q(published_at__isnull=False) & (
        Q(status__in=[Job.Status.EXPIRED, Job.Status.CLOSED])
        | Q(status=Job.Status.PUBLISHED, valid_until__lt=today)
    )
    job = (
        Job.objects.filter(listed, public | ended, pk=pk)
        .select_related("employer", "district", "district__parent", "street")
        .prefetch_related(
            Prefetch("windows", queryset=JobWindow.objects.order_by("weekday", "start_minute"))
        )
        .get()
    )
    accepts = job.status == Job.Status.PUBLISHED and job.valid_from <= today <= job.valid_until
    return job, accepts


# ---------------------------------------------------------------------------
# The copy of her data (PIPL Art. 45: the right to access and copy).


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _window(weekday: int, start: int, end: int) -> dict[str, Any]:
    return {"weekday": weekday + 1, "start": _hhmm(start), "end": _hhmm(end)}


def _region(region) -> dict[str, str] | None:
    return {"code": region.code, "name": region.name} if region is not None else None


def _id_number(applicant: Applicant) -> str | None:
    if not applicant.id_number_encrypted:
        return None
    try:
        return decrypt_text(applicant.id_number_encrypted)
    except ValueError:
        # A retired key: better the masked copy than no export at all.
        return applicant.id_number_masked


def applicant_data_export(applicant: Applicant) -> dict[str, Any]:
    """
    Return all personal data the portal holds about `applicant` as plain
    JSON-ready values: account, profile (with her full ID number: it is her
    own data, PIPL Art. 45), children, free windows, work history, consents,
    applications with their history, employments and saved searches.

    Reading only; the view records the export in the audit log.
    """
    applicant = (
        Applicant.objects.select_related("user", "residence_district", "residence_street")
        .prefetch_related(
            "children",
            "free_windows",
            "experiences",
            "consents",
            Prefetch(
                "applications",
                queryset=Application.objects.select_related("job__employer")
                .prefetch_related(
                    Prefetch(
                        "events", queryset=ApplicationEvent.objects.order_by("occurred_at", "pk")
                    )
                )
                .order_by("submitted_at", "pk"),
            ),
            Prefetch(
                "employments",
                queryset=Employment.objects.select_related("employer", "job").order_by(
                    "start_date", "pk"
                ),
            ),
        )
        .get(pk=applicant.pk)
    )
    user = applicant.user
    searches = SavedSearch.objects.filter(user=user).order_by("name")

    def actor(event: ApplicationEvent) -> str:
        if event.actor_id is None:
            return "system"
        return "applicant" if event.actor_id == user.pk else "employer"

    return {
        "format": "mamagang-applicant-export",
        "version": 1,
        "exported_at": _iso(timezone.now()),
        "account": {
            "phone": user.phone,
            "display_name": user.display_name,
            "email": user.email,
            "date_joined": _iso(user.date_joined),
        },
        "profile": {
            "full_name": applicant.full_name,
            "id_number": _id_number(applicant),
            "birth_date": _iso(applicant.birth_date),
            "category": applicant.category,
            "category_label": str(applicant.get_category_display()),
            "retirement_category": applicant.retirement_category,
            "residence_district": _region(applicant.residence_district),
            "residence_street": _region(applicant.residence_street),
            "education": applicant.education,
            "skills": list(applicant.skills),
            "certificates": list(applicant.certificates),
            "care_duties": list(applicant.care_duties),
            "intended_post_modes": list(applicant.intended_post_modes),
            "intended_location_modes": list(applicant.intended_location_modes),
            "intended_employment_forms": list(applicant.intended_employment_forms),
            "hours_per_week": applicant.hours_per_week,
            "intended_sectors": list(applicant.intended_sectors),
            "training_needs": list(applicant.training_needs),
            "training_other": applicant.training_other,
            "eligibility": applicant.eligibility,
            "eligibility_reasons": list(applicant.eligibility_reasons),
            "eligible_until": _iso(applicant.eligible_until),
            "eligibility_checked_on": _iso(applicant.eligibility_checked_on),
            "created_at": _iso(applicant.created_at),
            "updated_at": _iso(applicant.updated_at),
        },
        "children": [
            {
                "birth_year": child.birth_year,
                "birth_month": child.birth_month,
                "relationship": child.relationship,
                "evidence": child.evidence,
                "verified": child.verified_at is not None,
                "verified_at": _iso(child.verified_at),
                "created_at": _iso(child.created_at),
            }
            for child in applicant.children.all()
        ],
        "free_windows": [
            _window(w.weekday, w.start_minute, w.end_minute) for w in applicant.free_windows.all()
        ],
        "work_experience": [
            {
                "organisation": e.organisation,
                "role": e.role,
                "start_year": e.start_year,
                "end_year": e.end_year,
            }
            for e in applicant.experiences.all()
        ],
        "consents": [
            {
                "kind": c.kind,
                "text_version": c.text_version,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in applicant.consents.all()
        ],
        "applications": [
            {
                "id": a.pk,
                "job": {"id": a.job_id, "title": a.job.title},
                "employer": a.job.employer.name,
                "status": a.status,
                "message": a.message,
                "offered_windows": [_window(*w) for w in a.offered_windows],
                "interview_at": _iso(a.interview_at),
                "interview_place": a.interview_place,
                "reject_reason": a.reject_reason,
                "submitted_at": _iso(a.submitted_at),
                "events": [
                    {
                        "from_status": e.from_status,
                        "to_status": e.to_status,
                        "by": actor(e),
                        "note": e.note,
                        "occurred_at": _iso(e.occurred_at),
                    }
                    for e in a.events.all()
                ],
            }
            for a in applicant.applications.all()
        ],
        "employments": [
            {
                "employer": e.employer.name,
                "job": e.job.title if e.job_id else None,
                "source": e.source,
                "start_date": _iso(e.start_date),
                "end_date": _iso(e.end_date),
                "employment_form": e.employment_form,
                "has_labour_contract": e.has_labour_contract,
                "contract_months": e.contract_months,
                "social_insurance": e.social_insurance,
                "declared_mamagang": e.declared_mamagang,
                "end_reason": e.end_reason,
            }
            for e in applicant.employments.all()
        ],
        "saved_searches": [
            {
                "name": s.name,
                "query": s.query,
                "frequency": s.frequency,
                "created_at": _iso(s.created_at),
            }
            for s in searches
        ],
    }
