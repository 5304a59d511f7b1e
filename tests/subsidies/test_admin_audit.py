"""Policies and rate rows in the admin: bureau admins edit them, every change is audited."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from applicants.services import employment_create
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from subsidies.admin import RateRowFormSet
from subsidies.models import ClaimLine, RateRow, SubsidyPolicy, SubsidyType
from subsidies.services import claim_submit_for_employer
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

OVERLAP = "补贴标准的有效期不能重叠"


@pytest.fixture
def admin_client(client, make_user, shenzhen_guangzhou):
    """A bureau admin who may use /admin/ (is_staff), with the role's permissions only."""
    client.force_login(make_user("bureau_admin", is_staff=True))
    return client


@pytest.fixture
def root_client(client, make_user, shenzhen_guangzhou):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


def _policy_data(policy: SubsidyPolicy | None = None, **overrides) -> dict:
    data = {
        "region": Region.objects.get(code="440306").pk,
        "subsidy_type": SubsidyType.objects.get(code="employer_post").pk,
        "legal_reference": "中府函〔2022〕226号",
        "reference_day": "1",
        "max_months": "12",
        "retirement_extension_years": "",
        "claim_window_months": "3",
        "requires_listing": "on",
        "requires_declaration": "on",
        "min_contract_months": "",
        "requires_contribution": "on",
        "second_approval_above": "",
        "publicity_days": "5",
        "active": "on",
    }
    if policy is not None:
        data.update(
            region=policy.region_id,
            subsidy_type=policy.subsidy_type_id,
            legal_reference=policy.legal_reference,
            max_months=str(policy.max_months or ""),
        )
    data.update(overrides)
    return data


def _rates_data(rows: list[dict], initial: int = 0) -> dict:
    """The inline formset's POST data; rows carry `id` for existing ones."""
    data = {
        "rates-TOTAL_FORMS": str(len(rows)),
        "rates-INITIAL_FORMS": str(initial),
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        values = {
            "id": "",
            "valid_from": "",
            "valid_until": "",
            "kind": "per_month",
            "amount": "",
            "share": "",
            "cap": "",
            "legal_reference": "",
            **row,
        }
        for name, value in values.items():
            data[f"rates-{n}-{name}"] = value
    return data


def _existing(policy: SubsidyPolicy, **changes) -> list[dict]:
    rows = []
    for rate in policy.rates.order_by("valid_from"):
        row = {
            "id": str(rate.pk),
            "policy": str(policy.pk),
            "valid_from": rate.valid_from.isoformat(),
            "valid_until": rate.valid_until.isoformat() if rate.valid_until else "",
            "kind": rate.kind,
            "amount": str(rate.amount or ""),
        }
        row.update(changes.get(rate.valid_from.isoformat(), {}))
        rows.append(row)
    return rows


def _change_url(policy: SubsidyPolicy) -> str:
    return reverse("admin:subsidies_subsidypolicy_change", args=[policy.pk])


def test_bureau_admin_creates_a_policy_with_rates_and_both_are_audited(admin_client):
    data = {
        **_policy_data(),
        **_rates_data(
            [{"valid_from": "2022-07-04", "amount": "100.00", "legal_reference": "226号"}]
        ),
    }

    response = admin_client.post(reverse("admin:subsidies_subsidypolicy_add"), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    policy = SubsidyPolicy.objects.get()
    rate = policy.rates.get()
    assert (rate.valid_from, rate.amount) == (datetime.date(2022, 7, 4), Decimal("100.00"))
    created = AuditEvent.objects.get(action="subsidy_policy.created")
    assert created.actor.groups.filter(name="bureau_admin").exists()
    assert created.after["max_months"] == 12
    assert created.after["subsidy_type"] == policy.subsidy_type_id
    rate_event = AuditEvent.objects.get(action="rate_row.created")
    assert rate_event.object_id == str(rate.pk)
    assert rate_event.after["amount"] == "100.00"
    assert rate_event.actor == created.actor


def test_changing_a_policy_records_before_and_after(admin_client):
    policy = make_policy(type_code="employer_post", amount="100.00", max_months=12)
    data = {**_policy_data(policy, max_months="24"), **_rates_data(_existing(policy), 1)}

    response = admin_client.post(_change_url(policy), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    event = AuditEvent.objects.get(action="subsidy_policy.changed")
    assert (event.before["max_months"], event.after["max_months"]) == (12, 24)
    # The unchanged rate row is not audited.
    assert not AuditEvent.objects.filter(action__startswith="rate_row.").exists()


def test_overlapping_rate_rows_are_a_form_error_not_a_server_error(admin_client):
    policy = make_policy(type_code="employer_post", amount="100.00")  # from 2022-01-01, open
    rows = [*_existing(policy), {"valid_from": "2023-01-01", "amount": "120.00"}]
    data = {**_policy_data(policy), **_rates_data(rows, 1)}

    response = admin_client.post(_change_url(policy), data)

    assert response.status_code == 200
    assert OVERLAP in response.content.decode()
    assert policy.rates.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="rate_row.").exists()
    assert not AuditEvent.objects.filter(action="subsidy_policy.changed").exists()


def test_closing_a_rate_and_adding_the_next_one_saves_both(admin_client):
    policy = make_policy(type_code="employer_post", amount="100.00")
    rows = [
        *_existing(policy, **{"2022-01-01": {"valid_until": "2024-01-01"}}),
        {"valid_from": "2024-01-01", "amount": "120.00", "legal_reference": "2024年调整"},
    ]
    data = {**_policy_data(policy), **_rates_data(rows, 1)}

    response = admin_client.post(_change_url(policy), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(policy.rates.order_by("valid_from").values_list("valid_until", "amount")) == [
        (datetime.date(2024, 1, 1), Decimal("100.00")),
        (None, Decimal("120.00")),
    ]
    changed = AuditEvent.objects.get(action="rate_row.changed")
    assert (changed.before["valid_until"], changed.after["valid_until"]) == (None, "2024-01-01")
    assert AuditEvent.objects.filter(action="rate_row.created").count() == 1


def test_two_rows_can_move_their_boundary_in_one_save(admin_client):
    # Moving the boundary from 2023 to 2024: saved one by one, the first row's
    # new range would overlap the second row's old one.
    policy = make_policy(type_code="employer_post", amount="100.00")
    first = policy.rates.get()
    first.valid_until = datetime.date(2023, 1, 1)
    first.save()
    RateRow.objects.create(
        policy=policy, valid_from=datetime.date(2023, 1, 1), kind="per_month", amount=120
    )
    rows = _existing(
        policy,
        **{
            "2022-01-01": {"valid_until": "2024-01-01"},
            "2023-01-01": {"valid_from": "2024-01-01"},
        },
    )
    data = {**_policy_data(policy), **_rates_data(rows, 2)}

    response = admin_client.post(_change_url(policy), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(policy.rates.order_by("valid_from").values_list("valid_from", "valid_until")) == [
        (datetime.date(2022, 1, 1), datetime.date(2024, 1, 1)),
        (datetime.date(2024, 1, 1), None),
    ]
    assert AuditEvent.objects.filter(action="rate_row.changed").count() == 2


def test_an_overlap_the_forms_missed_is_caught_and_nothing_is_saved(admin_client, mocker):
    # As if another admin saved a row between the form check and the save.
    mocker.patch.object(RateRowFormSet, "clean", return_value=None)
    policy = make_policy(type_code="employer_post", amount="100.00")
    rows = [*_existing(policy), {"valid_from": "2023-01-01", "amount": "120.00"}]
    data = {**_policy_data(policy, max_months="24"), **_rates_data(rows, 1)}

    response = admin_client.post(_change_url(policy), data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(_change_url(policy))
    assert "未保存任何修改" in response.content.decode()
    assert policy.rates.count() == 1
    policy.refresh_from_db()
    assert policy.max_months is None  # the policy's own change was rolled back too
    assert not AuditEvent.objects.filter(action__startswith="subsidy_policy.").exists()


def test_a_rate_row_on_its_own_page_refuses_an_overlap(admin_client):
    policy = make_policy(type_code="employer_post", amount="100.00")
    data = {
        "policy": policy.pk,
        "valid_from": "2025-01-01",
        "valid_until": "",
        "kind": "per_month",
        "amount": "150.00",
        "share": "",
        "cap": "",
        "legal_reference": "",
    }

    response = admin_client.post(reverse("admin:subsidies_raterow_add"), data)

    assert response.status_code == 200
    assert OVERLAP in response.content.decode()
    assert policy.rates.count() == 1


def test_a_rate_row_needs_the_fields_of_its_kind(admin_client):
    policy = make_policy(type_code="employer_post", amount="100.00")
    policy.rates.update(valid_until=datetime.date(2024, 1, 1))
    data = {
        "policy": policy.pk,
        "valid_from": "2024-01-01",
        "valid_until": "",
        "kind": "contribution_share",
        "amount": "",
        "share": "1.5",
        "cap": "",
        "legal_reference": "",
    }

    response = admin_client.post(reverse("admin:subsidies_raterow_add"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "比例须大于0且不超过1" in page
    assert "须填写大于0的每月上限" in page
    assert "is violated" not in page  # Django's generic constraint message stays away
    assert policy.rates.count() == 1


def test_deleting_a_rate_row_and_a_policy_is_audited(root_client):
    policy = make_policy(type_code="employer_post", amount="100.00")
    rate = policy.rates.get()
    rows = _existing(policy, **{"2022-01-01": {"DELETE": "on"}})
    data = {**_policy_data(policy), **_rates_data(rows, 1)}

    response = root_client.post(_change_url(policy), data)

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert not RateRow.objects.filter(pk=rate.pk).exists()
    deleted = AuditEvent.objects.get(action="rate_row.deleted")
    assert deleted.object_id == str(rate.pk)
    assert deleted.before["amount"] == "100.00"

    response = root_client.post(
        reverse("admin:subsidies_subsidypolicy_delete", args=[policy.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not SubsidyPolicy.objects.filter(pk=policy.pk).exists()
    event = AuditEvent.objects.get(action="subsidy_policy.deleted")
    assert event.before["legal_reference"] == policy.legal_reference


def test_claim_lines_are_read_only_and_show_only_the_masked_id_number(root_client, employer_member):
    make_policy(type_code="employer_post", amount="100.00", requires_contribution=False)
    employer = listed_employer()
    MembershipFactory(user=employer_member, employer=employer)
    id_number = make_ric(datetime.date(1990, 6, 15))
    mother = make_mother(id_number=id_number)
    employment_create(
        employer=employer,
        applicant=mother,
        registered_by=employer_member,
        start_date=datetime.date(2026, 1, 1),
        employment_form="part_time_hourly",
    )
    claim_submit_for_employer(
        employer=employer, submitted_by=employer_member, months=[datetime.date(2026, 3, 1)]
    )
    line = ClaimLine.objects.get()

    changelist = root_client.get(reverse("admin:subsidies_claimline_changelist"))
    detail = root_client.get(reverse("admin:subsidies_claimline_change", args=[line.pk]))
    decisions = root_client.get(reverse("admin:subsidies_decisionrecord_changelist"))

    for response in (changelist, detail, decisions):
        assert response.status_code == 200
        assert id_number not in response.content.decode()
    assert mother.id_number_masked in changelist.content.decode()
    assert 'name="_save"' not in detail.content.decode()  # view only
    add = root_client.get(reverse("admin:subsidies_claimline_add"))
    assert add.status_code == 403
