import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from applicants.eligibility import retirement_date
from applicants.models import Applicant, Child, Consent, EligibilityPolicy, Employment, FreeWindow
from applicants.services import applicants_recheck, employment_create
from mamagang.accounts.models import User
from mamagang.core.crypto import decrypt_text, keyed_hash, mask_identifier
from mamagang.core.identifiers import ric_birth_date, validate_resident_id
from mamagang.core.models import Notification
from mamagang.regions.models import Region
from tests.applicants.factories import make_mother
from tests.employers.factories import MembershipFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DEC_1 = D(2026, 12, 1)


@pytest.fixture
def regions(shenzhen_guangzhou):
    return shenzhen_guangzhou


def _recheck(on: datetime.date, **kwargs):
    return applicants_recheck(on=on, **kwargs)


def _fresh(applicant: Applicant) -> Applicant:
    applicant.refresh_from_db()
    return applicant


def _policy(code: str, valid_from: datetime.date, **fields) -> EligibilityPolicy:
    fields.setdefault("admitted_categories", ["mother"])
    return EligibilityPolicy.objects.create(
        region=Region.objects.get(code=code), valid_from=valid_from, **fields
    )


def _notices(kind: str):
    return Notification.objects.filter(kind=kind)


# --- eligible until ---------------------------------------------------------


def test_recheck_keeps_an_eligible_mother_eligible_until_her_childs_cutoff(regions):
    mother = make_mother(children=[(2019, 3, True)])

    stats = _recheck(DEC_1)

    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.ELIGIBLE
    assert mother.eligibility_reasons == []
    # 12周岁以下 includes age 12: the 1st of the birth month 13 years later.
    assert mother.eligible_until == D(2032, 3, 1)
    assert mother.eligibility_checked_on == DEC_1
    assert (stats.checked, stats.changed, stats.eligible) == (1, 1, 1)


def test_recheck_eligible_until_is_the_latest_qualifying_childs_cutoff(regions):
    mother = make_mother(children=[(2016, 5, True), (2021, 8, True), (2024, 2, False)])

    _recheck(DEC_1)

    # The unverified youngest does not count; the verified 2021 child does.
    assert _fresh(mother).eligible_until == D(2034, 8, 1)


def test_recheck_eligible_until_is_her_retirement_date_when_it_comes_first(regions):
    birth = D(1980, 1, 10)
    mother = make_mother(birth=birth, children=[(2020, 5, True)], retirement_category="F50")

    _recheck(DEC_1)

    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.ELIGIBLE
    assert mother.eligible_until == retirement_date(birth, "F50") == D(2032, 8, 10)


# --- losing eligibility ------------------------------------------------------


def test_recheck_child_reaching_the_cutoff_ends_eligibility_on_the_first_of_that_month(regions):
    mother = make_mother(children=[(2014, 1, True)])

    _recheck(D(2026, 12, 31))
    day_before = _fresh(mother)
    assert day_before.eligibility == Applicant.Eligibility.ELIGIBLE
    assert day_before.eligible_until == D(2027, 1, 1)

    _recheck(D(2027, 1, 1))

    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.INELIGIBLE
    assert mother.eligibility_reasons == ["no_qualifying_child"]
    assert mother.eligible_until is None
    assert mother.eligibility_checked_on == D(2027, 1, 1)


def test_recheck_unverified_child_gives_child_not_verified(regions):
    mother = make_mother(children=[(2020, 4, False)])

    stats = _recheck(DEC_1)

    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.INELIGIBLE
    assert mother.eligibility_reasons == ["child_not_verified"]
    assert stats.reasons == {"child_not_verified": 1}


def test_recheck_retirement_makes_her_not_working_age(regions):
    birth = D(1975, 1, 15)
    mother = make_mother(birth=birth, children=[(2018, 5, True)], retirement_category="F50")
    # The reform adds one month for a woman worker born in January 1975.
    assert retirement_date(birth, "F50") == D(2025, 2, 15)

    _recheck(D(2025, 2, 14))
    assert _fresh(mother).eligibility == Applicant.Eligibility.ELIGIBLE
    assert mother.eligible_until == D(2025, 2, 15)

    _recheck(D(2025, 2, 15))

    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.INELIGIBLE
    assert mother.eligibility_reasons == ["not_working_age"]


def test_recheck_lists_every_failing_reason(regions):
    mother = make_mother(
        birth=D(1975, 1, 15),
        retirement_category="F50",
        category=Applicant.Category.OTHER_CAREGIVER_CHILD,
        children=[(2021, 1, False)],
    )

    _recheck(DEC_1)

    assert sorted(_fresh(mother).eligibility_reasons) == [
        "category_not_admitted",
        "child_not_verified",
        "not_working_age",
    ]


# --- regional policies -------------------------------------------------------


def test_recheck_city_policy_with_exclusive_limit_moves_the_cutoff_a_year_earlier(regions):
    mother = make_mother(children=[(2015, 6, True)])
    _policy("440300", D(2027, 1, 1), child_age_inclusive=False)

    _recheck(D(2026, 12, 31))
    assert _fresh(mother).eligible_until == D(2028, 6, 1)

    _recheck(D(2027, 1, 1))
    assert _fresh(mother).eligible_until == D(2027, 6, 1)

    _recheck(D(2027, 6, 1))
    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.INELIGIBLE
    assert mother.eligibility_reasons == ["no_qualifying_child"]


def test_recheck_district_policy_beats_the_city_policy(regions):
    baoan = make_mother(district="440306", children=[(2015, 6, True)])
    nanshan = make_mother(district="440305", children=[(2015, 6, True)])
    _policy("440300", D(2027, 1, 1), child_age_inclusive=False)
    _policy("440306", D(2027, 1, 1), child_age_inclusive=True)

    _recheck(D(2027, 1, 1))

    assert _fresh(baoan).eligible_until == D(2028, 6, 1)
    assert _fresh(nanshan).eligible_until == D(2027, 6, 1)


def test_recheck_policy_admitting_other_caregivers_applies_from_its_valid_from(regions):
    caregiver = make_mother(
        category=Applicant.Category.OTHER_CAREGIVER_CHILD, children=[(2020, 1, True)]
    )
    _policy("440306", D(2027, 1, 1), admitted_categories=["mother", "other_caregiver_child"])

    _recheck(D(2026, 12, 31))
    before = _fresh(caregiver)
    assert before.eligibility == Applicant.Eligibility.INELIGIBLE
    assert before.eligibility_reasons == ["category_not_admitted"]

    _recheck(D(2027, 1, 1))
    after = _fresh(caregiver)
    assert after.eligibility == Applicant.Eligibility.ELIGIBLE
    assert after.eligible_until == D(2033, 1, 1)


def test_recheck_category_not_admitted_by_the_policy(regions):
    mother = make_mother(children=[(2020, 1, True)])
    _policy("440306", D(2026, 1, 1), admitted_categories=["other_caregiver_child"])

    _recheck(DEC_1)

    mother = _fresh(mother)
    assert mother.eligibility == Applicant.Eligibility.INELIGIBLE
    assert mother.eligibility_reasons == ["category_not_admitted"]


def test_recheck_policy_with_a_higher_age_limit_keeps_an_older_child(regions):
    mother = make_mother(children=[(2012, 3, True)])
    _policy("440306", D(2026, 1, 1), child_age_limit=16)

    _recheck(DEC_1)

    assert _fresh(mother).eligible_until == D(2029, 3, 1)


# --- the 60-day warning ------------------------------------------------------


@pytest.fixture
def ending_soon(regions):
    """A mother whose only child reaches the cut-off on 2027-01-01, employed by one employer."""
    mother = make_mother(children=[(2014, 1, True)])
    membership = MembershipFactory()
    employment_create(
        employer=membership.employer,
        applicant=mother,
        registered_by=membership.user,
        start_date=D(2026, 9, 1),
        employment_form="part_time_hourly",
    )
    return mother, membership


def test_recheck_warns_her_and_her_employers_members_once_within_60_days(ending_soon):
    mother, membership = ending_soon
    colleague = MembershipFactory(employer=membership.employer, role="member")
    stranger = MembershipFactory()  # another employer's member
    far = make_mother(children=[(2019, 3, True)])  # cut-off years away

    stats = _recheck(DEC_1)

    assert stats.warned == 1
    mine = _notices("eligibility.ending")
    assert list(mine.values_list("recipient", flat=True)) == [mother.user_id]
    assert "2026-12-31" in mine.get().title
    employer_notices = _notices("eligibility.ending.employer")
    assert sorted(employer_notices.values_list("recipient", flat=True)) == sorted(
        [membership.user_id, colleague.user_id]
    )
    assert not Notification.objects.filter(
        recipient__in=[stranger.user, far.user], kind__startswith="eligibility."
    ).exists()
    assert _fresh(mother).eligibility_warned_until == D(2027, 1, 1)


def test_recheck_does_not_warn_again_the_same_day_or_the_next(ending_soon):
    _recheck(DEC_1)
    count = Notification.objects.filter(kind__startswith="eligibility.").count()

    same_day = _recheck(DEC_1)
    next_day = _recheck(D(2026, 12, 2))

    assert (same_day.warned, same_day.changed) == (0, 0)
    assert next_day.warned == 0
    assert Notification.objects.filter(kind__startswith="eligibility.").count() == count == 2


def test_recheck_does_not_warn_more_than_60_days_ahead(ending_soon):
    stats = _recheck(D(2026, 11, 1))  # the cut-off is 61 days away

    assert stats.warned == 0
    assert not Notification.objects.filter(kind__startswith="eligibility.").exists()

    assert _recheck(D(2026, 11, 2)).warned == 1  # 60 days away


def test_recheck_does_not_tell_a_former_employer(regions):
    mother = make_mother(children=[(2014, 1, True)])
    former = MembershipFactory()
    employment_create(
        employer=former.employer,
        applicant=mother,
        registered_by=former.user,
        start_date=D(2026, 3, 1),
        end_date=D(2026, 10, 31),
        employment_form="part_time_hourly",
    )

    _recheck(DEC_1)

    assert _notices("eligibility.ending").count() == 1
    assert not _notices("eligibility.ending.employer").exists()


def test_recheck_warns_again_when_the_cutoff_date_changes(ending_soon):
    mother, _membership = ending_soon
    _recheck(DEC_1)
    # Staff correct the child's birth month: a new cut-off, a new warning.
    Child.objects.filter(applicant=mother).update(birth_month=2)

    stats = _recheck(D(2026, 12, 5))  # 2027-02-01 is now within 60 days

    assert stats.warned == 1
    assert _notices("eligibility.ending").count() == 2
    assert _fresh(mother).eligibility_warned_until == D(2027, 2, 1)


# --- safety and scale --------------------------------------------------------


def test_recheck_deletes_nothing(ending_soon):
    make_mother(children=[(2010, 1, True)])  # over the limit: ineligible
    make_mother(children=[(2020, 1, False)])  # unverified

    def counts():
        return [
            m.objects.count()
            for m in (Applicant, Child, Consent, FreeWindow, Employment, Notification)
        ]

    before = counts()
    _recheck(D(2027, 1, 1))

    after = counts()
    assert after[:5] == before[:5]
    assert after[5] >= before[5]


def test_recheck_second_run_for_the_same_day_changes_nothing(regions):
    make_mother(children=[(2019, 3, True)])
    make_mother(children=[(2010, 1, True)])
    make_mother(children=[(2014, 1, True)])
    first = _recheck(DEC_1)

    second = _recheck(DEC_1)

    assert first.changed == 3
    assert (second.checked, second.changed, second.warned) == (3, 0, 0)
    assert second.eligible == first.eligible == 2
    assert second.reasons == first.reasons == {"no_qualifying_child": 1}


def test_recheck_skips_anonymised_applicants(regions):
    mother = make_mother(children=[(2019, 3, True)])
    Applicant.objects.filter(pk=mother.pk).update(anonymised_at=timezone.now())

    assert _recheck(DEC_1).checked == 0
    assert _fresh(mother).eligibility == Applicant.Eligibility.UNKNOWN


def test_recheck_reads_in_chunks(regions):
    for _ in range(5):
        make_mother(children=[(2019, 3, True)])

    stats = _recheck(DEC_1, chunk_size=2)

    assert (stats.checked, stats.changed, stats.chunks) == (5, 5, 3)
    assert Applicant.objects.filter(eligibility_checked_on=DEC_1).count() == 5


def _mixed_population(n: int) -> None:
    """`n` mothers: eligible, ineligible and warned ones (with employers), in a fixed mix."""
    for i in range(n):
        kind = i % 3
        if kind == 0:
            make_mother(children=[(2019, 3, True), (2021, 5, False)])
        elif kind == 1:
            make_mother(children=[(2010, 1, True)])
        else:
            mother = make_mother(children=[(2014, 1, True)])
            membership = MembershipFactory()
            employment_create(
                employer=membership.employer,
                applicant=mother,
                registered_by=membership.user,
                start_date=D(2026, 9, 1),
                employment_form="part_time_hourly",
            )


@pytest.mark.parametrize("n", [3, 8])
def test_recheck_query_count_does_not_grow_with_the_number_of_applicants(
    regions, django_assert_num_queries, n
):
    _mixed_population(n)

    # The advisory lock; policies; one chunk: read, its children, savepoint, UPDATE,
    # the warnings' employments, members and users, the notifications' INSERT (in its
    # own savepoint), release; then the empty last read; the unlock.
    with django_assert_num_queries(15):
        stats = applicants_recheck(on=DEC_1, chunk_size=100)

    assert stats.chunks == 1
    assert stats.checked == n
    assert stats.warned == len(range(2, n, 3))


# --- management commands -----------------------------------------------------


def test_applicants_recheck_command_prints_the_counts_time_and_memory(regions):
    make_mother(children=[(2019, 3, True)])
    make_mother(children=[(2020, 1, False)])
    out = StringIO()

    call_command("applicants_recheck", "--on", "2026-12-01", stdout=out)

    text = out.getvalue()
    assert "as of 2026-12-01" in text
    for line in ("checked   2", "changed   2", "eligible  1", "warned    0", "chunks    1"):
        assert line in text
    assert "child_not_verified 1" in text
    assert "peak RSS MB" in text
    assert Applicant.objects.filter(eligibility_checked_on=DEC_1).count() == 2


def test_applicants_recheck_command_rejects_a_bad_date(regions):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("applicants_recheck", "--on", "1.12.2026", stdout=StringIO())


def test_applicants_generate_creates_valid_encrypted_people_then_clears_them(regions):
    kept = make_mother()
    out = StringIO()

    call_command(
        "applicants_generate", applicants=40, districts="440306,440106", seed=5, stdout=out
    )

    generated = Applicant.objects.exclude(pk=kept.pk).select_related("user", "residence_district")
    assert generated.count() == 40
    assert "Generated 40 applicants" in out.getvalue()
    assert {a.residence_district.code for a in generated} <= {"440306", "440106"}
    phones = [a.user.phone for a in generated]
    assert len(set(phones)) == 40
    assert all(p.startswith("170") and len(p) == 11 for p in phones)
    assert not any(a.user.has_usable_password() for a in generated)
    for applicant in generated:
        number = decrypt_text(applicant.id_number_encrypted)
        assert validate_resident_id(number) == number
        assert keyed_hash(number) == applicant.id_number_hash
        assert applicant.id_number_masked == mask_identifier(number)
        assert applicant.birth_date == ric_birth_date(number)
    children = Child.objects.filter(applicant__in=generated)
    assert children.filter(verified_at__isnull=True).exists()
    assert children.filter(verified_at__isnull=False).exists()
    assert FreeWindow.objects.filter(applicant__in=generated).count() >= 40
    # The re-check reads them like any other applicant.
    assert applicants_recheck(on=DEC_1).checked == 41

    with pytest.raises(CommandError, match="--clear"):
        call_command("applicants_generate", applicants=5, stdout=StringIO())
    call_command("applicants_generate", clear=True, stdout=StringIO())

    assert list(Applicant.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not User.objects.filter(phone__startswith="170").exists()


def test_a_run_while_another_holds_the_lock_is_skipped_and_changes_nothing(shenzhen_guangzhou):
    """Overlapping runs (beat and a manual one) must not both warn."""
    import psycopg
    from django.db import connection

    from applicants.services.recheck import RECHECK_LOCK_KEY

    mother = make_mother()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [RECHECK_LOCK_KEY])
        stats = applicants_recheck(on=DEC_1)
        other.execute("SELECT pg_advisory_unlock(%s)", [RECHECK_LOCK_KEY])

    assert stats.skipped
    assert stats.checked == 0
    mother.refresh_from_db()
    assert mother.eligibility_checked_on is None
    assert applicants_recheck(on=DEC_1).checked == 1
