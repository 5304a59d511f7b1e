"""Employment registration: offline hires by ID number with consent, ending, several jobs."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from applicants.models import Employment
from applicants.services import employment_create, employment_end, employment_register_offline
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent, Notification
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer

pytestmark = pytest.mark.django_db

NUMBER = make_ric(datetime.date(1991, 2, 3), seq=501)


@pytest.fixture
def employer(shenzhen_guangzhou, employer_member):
    employer = listed_employer()
    MembershipFactory(user=employer_member, employer=employer)
    return employer


def _offline(employer, member, **kwargs):
    return employment_register_offline(
        employer=employer,
        registered_by=member,
        id_number=kwargs.pop("id_number", NUMBER),
        start_date=kwargs.pop("start_date", datetime.date(2026, 11, 1)),
        employment_form=kwargs.pop("employment_form", "part_time_hourly"),
        **kwargs,
    )


def test_offline_registration_needs_her_consent_in_the_portal(employer, employer_member):
    mother = make_mother(id_number=NUMBER, birth=datetime.date(1991, 2, 3))
    with pytest.raises(DomainError) as excinfo:
        _offline(employer, employer_member)
    unknown = make_ric(datetime.date(1992, 1, 1), seq=502)
    with pytest.raises(DomainError) as unknown_excinfo:
        _offline(employer, employer_member, id_number=unknown)
    # An unknown number and a number without consent get the same answer.
    assert str(excinfo.value) == str(unknown_excinfo.value)

    from applicants.services import consent_give

    consent_give(applicant=mother, kind="employment_registration")
    employment = _offline(employer, employer_member, declared_mamagang=True)

    assert employment.source == Employment.Source.OFFLINE
    assert employment.applicant == mother
    assert Notification.objects.filter(recipient=mother.user, kind="employment.registered").exists()
    event = AuditEvent.objects.get(action="employment.registered")
    assert NUMBER not in str(event.after)


def test_only_members_register_and_end_employments(employer, employer_member, make_user):
    mother = make_mother(id_number=NUMBER, offline_hire_consent=True)
    with pytest.raises(DomainError):
        _offline(employer, make_user("employer_member"))
    employment = _offline(employer, employer_member)

    with pytest.raises(DomainError):
        employment_end(
            employment=employment,
            ended_by=make_user("employer_member"),
            end_date=datetime.date(2026, 12, 31),
            reason="resigned",
        )
    assert mother.employments.count() == 1


def test_ending_records_date_and_reason(employer, employer_member):
    make_mother(id_number=NUMBER, offline_hire_consent=True)
    employment = _offline(employer, employer_member)

    with pytest.raises(ValidationError):
        employment_end(
            employment=employment,
            ended_by=employer_member,
            end_date=datetime.date(2026, 10, 1),
            reason="resigned",
        )
    employment_end(
        employment=employment,
        ended_by=employer_member,
        end_date=datetime.date(2026, 12, 31),
        reason="resigned",
        note="家中有事",
    )
    employment.refresh_from_db()
    assert (employment.end_date, employment.end_reason) == (datetime.date(2026, 12, 31), "resigned")
    assert employment.ended_by == employer_member


def test_one_person_may_hold_several_part_time_employments(employer, employer_member, make_user):
    mother = make_mother(id_number=NUMBER, offline_hire_consent=True)
    other = listed_employer()
    other_member = make_user("employer_member")
    MembershipFactory(user=other_member, employer=other)

    _offline(employer, employer_member)
    _offline(other, other_member)

    assert mother.employments.filter(end_date__isnull=True).count() == 2


def test_terms_are_checked_and_the_same_start_twice_is_refused(employer, employer_member):
    mother = make_mother(id_number=NUMBER, offline_hire_consent=True)
    with pytest.raises(ValidationError):
        _offline(employer, employer_member, employment_form="volunteer")
    with pytest.raises(ValidationError):
        _offline(employer, employer_member, has_labour_contract=False, contract_months=6)
    _offline(employer, employer_member)
    with pytest.raises(DomainError) as excinfo:
        employment_create(
            employer=employer,
            applicant=mother,
            registered_by=employer_member,
            start_date=datetime.date(2026, 11, 1),
            employment_form="part_time_hourly",
        )
    assert excinfo.value.code == "employment_duplicate"
