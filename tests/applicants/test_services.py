import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applicants.models import Applicant, Child, Consent
from applicants.selectors import applicant_get_by_id_number
from applicants.services import (
    CONSENT_TEXT_VERSION,
    applicant_id_number_unmask,
    applicant_profile_create,
    child_add,
    child_verify,
)
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
# Bao'an code 440306 created in 1992; a woman born there in 1985 is real.
BAOAN_1985 = "440306198503150020"


@pytest.fixture
def profile(applicant, shenzhen_guangzhou):
    return applicant_profile_create(
        user=applicant,
        full_name="李晓梅",
        id_number=BAOAN_1985,
        residence_district=shenzhen_guangzhou["440306"],
        retirement_category="F50",
        sensitive_data_consent=True,
    )


def test_bao_an_number_of_someone_born_before_1992_is_accepted(profile):
    assert profile.birth_date == datetime.date(1985, 3, 15)
    assert profile.id_number_masked == "4403**********0020"


def test_the_database_never_holds_the_plain_id_number(profile):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM applicants_applicant")
        row = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT before::text, after::text, reason FROM core_auditevent")
        audit = " ".join(str(v) for r in cursor.fetchall() for v in r)

    assert BAOAN_1985 not in row
    assert BAOAN_1985 not in audit
    assert "4403**********0020" in row


def test_look_up_by_id_number_uses_the_keyed_hash(profile):
    assert applicant_get_by_id_number(id_number=BAOAN_1985.lower()) == profile
    assert applicant_get_by_id_number(id_number=ID_NUMBER) is None


def test_profile_needs_the_separate_consent_and_records_its_version(applicant, shenzhen_guangzhou):
    with pytest.raises(DomainError) as excinfo:
        applicant_profile_create(
            user=applicant,
            full_name="x",
            id_number=ID_NUMBER,
            residence_district=shenzhen_guangzhou["440306"],
            sensitive_data_consent=False,
        )
    assert excinfo.value.code == "applicant_consent_required"
    assert not Applicant.objects.exists()


def test_consent_is_dated_and_versioned(profile):
    consent = Consent.objects.get(applicant=profile)

    assert (consent.kind, consent.text_version) == ("sensitive_data", CONSENT_TEXT_VERSION)
    assert consent.given_at is not None


def test_a_registered_id_number_cannot_register_again(profile, make_user, shenzhen_guangzhou):
    with pytest.raises(ValidationError) as excinfo:
        applicant_profile_create(
            user=make_user("applicant"),
            full_name="x",
            id_number=BAOAN_1985,
            residence_district=shenzhen_guangzhou["440306"],
            sensitive_data_consent=True,
        )

    assert "id_number" in excinfo.value.message_dict


def test_unmasking_needs_staff_in_scope_and_a_reason_and_is_audited(
    profile, staff_user, make_user, shenzhen_guangzhou
):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    outsider = make_user("bureau_staff")
    staff_scope_grant(user=outsider, region=shenzhen_guangzhou["440106"], granted_by=None)

    with pytest.raises(DomainError):
        applicant_id_number_unmask(applicant=profile, requested_by=staff_user, reason=" ")
    with pytest.raises(DomainError) as excinfo:
        applicant_id_number_unmask(applicant=profile, requested_by=outsider, reason="核验")
    assert excinfo.value.code == "applicant_out_of_scope"
    with pytest.raises(DomainError):
        applicant_id_number_unmask(applicant=profile, requested_by=profile.user, reason="看看")

    number = applicant_id_number_unmask(
        applicant=profile, requested_by=staff_user, reason="补贴核验"
    )

    assert number == BAOAN_1985
    event = AuditEvent.objects.get(action="applicant.id_unmasked")
    assert (event.actor, event.reason) == (staff_user, "补贴核验")


def test_child_needs_guardian_consent_and_keeps_no_name(profile):
    with pytest.raises(DomainError):
        child_add(
            applicant=profile,
            added_by=profile.user,
            birth_year=2018,
            birth_month=5,
            relationship="parent",
            evidence="birth_certificate",
            guardian_consent=False,
        )

    child = child_add(
        applicant=profile,
        added_by=profile.user,
        birth_year=2018,
        birth_month=5,
        relationship="parent",
        evidence="birth_certificate",
        guardian_consent=True,
    )

    assert {f.name for f in Child._meta.get_fields()}.isdisjoint({"name", "id_number"})
    assert Consent.objects.filter(applicant=profile, kind="guardian_children").count() == 1
    assert child.verified_at is None


def test_child_verify_by_staff_in_scope(profile, staff_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    child = child_add(
        applicant=profile,
        added_by=profile.user,
        birth_year=2018,
        birth_month=5,
        relationship="parent",
        evidence="birth_certificate",
        guardian_consent=True,
    )

    child = child_verify(child=child, verified_by=staff_user)

    assert (child.verified_by, child.verified_at is not None) == (staff_user, True)
