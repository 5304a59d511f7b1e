"""The profile's areas after creation, policies, consents and deletion (services)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applicants.models import Applicant, Child, Consent, EligibilityPolicy, FreeWindow
from applicants.selectors import applicant_eligibility, applicant_get_by_id_number
from applicants.services import (
    applicant_anonymise,
    applicant_free_windows_set,
    applicant_intentions_update,
    applicant_personal_update,
    consent_give,
    consent_withdraw,
    work_experience_add,
)
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from tests.applicants.factories import make_mother, make_ric

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 28)


@pytest.fixture
def mother(shenzhen_guangzhou):
    return make_mother(id_number=make_ric(datetime.date(1990, 6, 15), seq=77))


def test_personal_area_saves_cleaned_tags_and_audits_only_changes(mother, shenzhen_guangzhou):
    applicant_personal_update(
        applicant=mother,
        updated_by=mother.user,
        education="senior_high",
        skills=[" 直播 ", "直播", "剪辑"],
        certificates=["育婴师证"],
        residence_district=shenzhen_guangzhou["440106"],
    )
    mother.refresh_from_db()

    assert mother.skills == ["直播", "剪辑"]
    assert mother.residence_district.code == "440106"
    event = AuditEvent.objects.get(action="applicant.personal_updated")
    assert set(event.after) == {"education", "skills", "certificates", "residence_district"}

    applicant_personal_update(applicant=mother, updated_by=mother.user, education="senior_high")
    assert AuditEvent.objects.filter(action="applicant.personal_updated").count() == 1


def test_a_street_outside_her_district_is_refused(mother, shenzhen_guangzhou):
    tianhe_street = next(
        r for code, r in shenzhen_guangzhou.items() if code.startswith("440106") and len(code) > 6
    )

    with pytest.raises(ValidationError) as excinfo:
        applicant_personal_update(
            applicant=mother, updated_by=mother.user, residence_street=tianhe_street
        )
    assert "residence_street" in excinfo.value.message_dict


def test_intentions_accept_only_known_choices(mother):
    applicant_intentions_update(
        applicant=mother,
        updated_by=mother.user,
        intended_post_modes=["self_chosen_slots", "self_chosen_slots"],
        intended_sectors=["ecommerce"],
        training_needs=["live_streaming"],
        hours_per_week=20,
    )
    mother.refresh_from_db()
    assert mother.intended_post_modes == ["self_chosen_slots"]

    with pytest.raises(ValidationError):
        applicant_intentions_update(
            applicant=mother, updated_by=mother.user, intended_sectors=["mining"]
        )
    with pytest.raises(ValidationError):
        applicant_intentions_update(applicant=mother, updated_by=mother.user, hours_per_week=100)


def test_free_windows_are_merged_and_replaced(mother):
    applicant_free_windows_set(
        applicant=mother,
        updated_by=mother.user,
        windows=[(0, 540, 720), (0, 700, 900), (5, 600, 660)],
    )

    rows = list(
        FreeWindow.objects.filter(applicant=mother).values_list(
            "weekday", "start_minute", "end_minute"
        )
    )
    assert rows == [(0, 540, 900), (5, 600, 660)]
    with pytest.raises(ValidationError):
        applicant_free_windows_set(
            applicant=mother, updated_by=mother.user, windows=[(0, 600, 540)]
        )


def test_work_history_years_are_checked(mother):
    work_experience_add(
        applicant=mother,
        added_by=mother.user,
        organisation="某超市",
        role="收银",
        start_year=2012,
        end_year=2016,
    )
    with pytest.raises(ValidationError):
        work_experience_add(
            applicant=mother,
            added_by=mother.user,
            organisation="x",
            role="y",
            start_year=2016,
            end_year=2012,
        )


def test_a_district_policy_beats_the_city_policy_from_its_date(mother, shenzhen_guangzhou):
    EligibilityPolicy.objects.create(
        region=shenzhen_guangzhou["440300"],
        valid_from=datetime.date(2024, 1, 1),
        admitted_categories=["mother"],
        child_age_inclusive=False,
    )
    EligibilityPolicy.objects.create(
        region=shenzhen_guangzhou["440306"],
        valid_from=datetime.date(2026, 12, 1),
        admitted_categories=["mother"],
        child_age_limit=6,
    )
    # Child born 2019-03: the city's exclusive reading ends it on 2031-03-01.
    assert applicant_eligibility(applicant=mother, on=TODAY).until == datetime.date(2031, 3, 1)
    # From 2026-12-01 Bao'an's own row (under 6, inclusive) applies: ended 2026-03-01.
    later = applicant_eligibility(applicant=mother, on=datetime.date(2026, 12, 1))
    assert later.reasons == ("no_qualifying_child",)


def test_consents_for_offline_registration_can_be_given_and_withdrawn(mother):
    consent_give(applicant=mother, kind=Consent.Kind.EMPLOYMENT_REGISTRATION)
    consent_give(applicant=mother, kind=Consent.Kind.EMPLOYMENT_REGISTRATION)
    assert Consent.objects.filter(applicant=mother, kind="employment_registration").count() == 1

    consent_withdraw(applicant=mother, kind=Consent.Kind.EMPLOYMENT_REGISTRATION)
    assert not Consent.objects.filter(
        applicant=mother, kind="employment_registration", withdrawn_at__isnull=True
    ).exists()


def test_withdrawing_guardian_consent_deletes_the_childrens_records(mother):
    consent_withdraw(applicant=mother, kind=Consent.Kind.GUARDIAN_CHILDREN)

    assert not Child.objects.filter(applicant=mother).exists()
    with pytest.raises(DomainError):
        consent_withdraw(applicant=mother, kind=Consent.Kind.SENSITIVE_DATA)


def test_deletion_without_employments_erases_the_id_number_and_closes_the_account(mother):
    number = make_ric(datetime.date(1990, 6, 15), seq=77)

    applicant_anonymise(applicant=mother, requested_by=mother.user)

    mother.refresh_from_db()
    mother.user.refresh_from_db()
    assert mother.anonymised_at is not None
    assert mother.full_name != "李晓梅"
    assert mother.id_number_encrypted == ""
    assert not Child.objects.filter(applicant=mother).exists()
    assert not mother.user.is_active
    assert not mother.user.has_usable_password()
    assert applicant_get_by_id_number(id_number=number) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [mother.user.pk])
        assert cursor.fetchone()[0].startswith("d")
    with pytest.raises(DomainError):
        applicant_personal_update(applicant=mother, updated_by=mother.user, education="college")
    # The number may register again.
    assert Applicant.objects.filter(anonymised_at__isnull=True).count() == 0
