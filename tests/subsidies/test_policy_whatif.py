"""Trying a policy change on the staff pages: a draft against a decided month, a scenario file."""

from __future__ import annotations

import datetime
import tempfile
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applicants.models import Applicant, EligibilityPolicy
from mamagang.core.exceptions import DomainError
from mamagang.core.models import AuditEvent
from subsidies.models import Claim, ClaimLine, DecisionRecord, RateRow, SubsidyPolicy
from subsidies.reasons import reason_labels
from subsidies.services.whatif import MAX_SCENARIO_BYTES, PolicyDraft, policy_whatif
from tests.subsidies.factories import make_policy
from tests.subsidies.test_policy_pages import admin_in, text_of
from tests.subsidies.test_staff_pages import build_world, months_ago, staff_in

pytestmark = pytest.mark.django_db

SCENARIOS = Path(settings.BASE_DIR) / "subsidies" / "scenarios"


@pytest.fixture
def world(shenzhen_guangzhou, make_user):
    """宝安区: two eligible mothers at 300 CNY a month (max 12 months)."""
    return build_world(make_user)


@pytest.fixture
def admin(shenzhen_guangzhou, make_user):
    return admin_in(make_user, "440306")


def whatif_url(policy: SubsidyPolicy) -> str:
    return reverse("subsidies:staff-policy-whatif", args=[policy.pk])


def scenario_url(policy: SubsidyPolicy) -> str:
    return reverse("subsidies:staff-policy-scenario", args=[policy.pk])


def whatif_post(month: datetime.date, **fields) -> dict:
    data = {
        "whatif-month": f"{month:%Y-%m}",
        "whatif-rate_amount": "",
        "whatif-rate_from": "",
        "whatif-max_months": "",
        "whatif-child_age_limit": "",
        "whatif-child_age_inclusive": "on",
    }
    data.update({f"whatif-{name}": value for name, value in fields.items()})
    return data


def upload(name: str, data: bytes) -> dict:
    return {"scenario-file": SimpleUploadedFile(name, data, content_type="application/x-yaml")}


def database_state() -> dict:
    """Everything a trial could write, to compare before and after."""
    return {
        "lines": list(
            ClaimLine.objects.order_by("pk").values_list(
                "pk", "decision", "amount", "reasons", "status", "rate_row_id", "inputs_digest"
            )
        ),
        "rates": list(
            RateRow.objects.order_by("pk").values_list("pk", "valid_from", "valid_until", "amount")
        ),
        "policies": list(SubsidyPolicy.objects.order_by("pk").values_list("pk", "max_months")),
        "eligibility": list(
            EligibilityPolicy.objects.order_by("pk").values_list("pk", "child_age_limit")
        ),
        "decisions": DecisionRecord.objects.count(),
        "audit": AuditEvent.objects.count(),
        "claims": Claim.objects.count(),
        "applicants": Applicant.objects.count(),
    }


# ---------------------------------------------------------------------------
# A draft against a decided month


def test_whatif_rate_draft_shows_both_lines_and_the_difference_and_keeps_nothing(
    client, world, admin
):
    month = months_ago(1)
    lines = world.claim([month])
    assert [(line.decision, line.amount) for line in lines] == [("eligible", Decimal("300.00"))] * 2
    before = database_state()
    client.force_login(admin)

    response = client.post(whatif_url(world.policy), whatif_post(month, rate_amount="350"))

    assert response.status_code == HTTPStatus.OK
    result = response.context["whatif"]["result"]
    assert result.changed_count == 2
    assert result.difference == Decimal("100.00")
    assert [(c.before.amount, c.after.amount) for c in result.changes] == [
        (Decimal("300.00"), Decimal("350.00"))
    ] * 2
    text = text_of(response)
    assert "+100.00 元" in text
    assert "300.00 元 → 350.00 元" in text
    assert "试算不会保存任何内容" in text
    html = response.content.decode()
    for mother in world.mothers:
        assert mother.id_number_masked in html
        assert mother.test_id_number not in html
    assert "2019" not in html  # no child's birth month
    assert database_state() == before


def test_whatif_rate_draft_from_a_later_date_ends_the_open_row_only_in_the_trial(world, admin):
    month = months_ago(1)
    world.claim([month])
    row = world.policy.rates.get()

    result = policy_whatif(
        policy=world.policy,
        month=month,
        by=admin,
        draft=PolicyDraft(rate_amount=Decimal("280.00"), rate_from=month - datetime.timedelta(40)),
    )

    assert result.difference == Decimal("-40.00")
    assert result.ended_rate is not None
    row.refresh_from_db()
    assert row.valid_until is None
    assert world.policy.rates.count() == 1


def test_whatif_rate_draft_starting_after_the_reference_day_is_refused(world, admin):
    month = months_ago(1)
    world.claim([month])

    with pytest.raises(DomainError) as exc:
        policy_whatif(
            policy=world.policy,
            month=month,
            by=admin,
            draft=PolicyDraft(rate_amount=Decimal("350"), rate_from=month.replace(day=2)),
        )

    assert exc.value.code == "whatif_rate_from"


def test_whatif_max_months_draft_exhausts_the_clock(client, world, admin):
    world.claim([months_ago(2), months_ago(1)])
    before = database_state()
    client.force_login(admin)

    # Each mother has one other eligible month: a limit of 2 leaves her line, 1 exhausts it.
    unchanged = client.post(whatif_url(world.policy), whatif_post(months_ago(1), max_months="2"))
    response = client.post(whatif_url(world.policy), whatif_post(months_ago(1), max_months="1"))

    assert unchanged.context["whatif"]["result"].changed_count == 0
    result = response.context["whatif"]["result"]
    assert result.changed_count == 2
    assert result.difference == Decimal("-600.00")
    for change in result.changes:
        assert change.before.decision == "eligible"
        assert change.after.decision == "ineligible"
        assert "entitlement_exhausted" in change.after.reasons
        assert change.after.amount is None
    assert reason_labels(["entitlement_exhausted"])[0] in text_of(response)
    assert "-600.00 元" in text_of(response)
    assert database_state() == before


def test_whatif_child_age_draft_makes_the_mother_without_a_qualifying_child(client, world, admin):
    month = months_ago(1)
    world.claim([month])
    before = database_state()
    client.force_login(admin)

    # Her child was born 2019-03: under 6 years (inclusive, so until 7) she no longer qualifies.
    kept = client.post(whatif_url(world.policy), whatif_post(month, child_age_limit="12"))
    response = client.post(whatif_url(world.policy), whatif_post(month, child_age_limit="5"))

    assert kept.context["whatif"]["result"].changed_count == 0
    result = response.context["whatif"]["result"]
    assert result.changed_count == 2
    assert all("no_qualifying_child" in c.after.reasons for c in result.changes)
    assert all(c.after.decision == "ineligible" for c in result.changes)
    assert reason_labels(["no_qualifying_child"])[0] in text_of(response)
    assert database_state() == before


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (PolicyDraft(), "whatif_empty_draft"),
        (PolicyDraft(rate_amount=Decimal("0")), "whatif_amount"),
        (PolicyDraft(rate_amount=Decimal("-5")), "whatif_amount"),
        (PolicyDraft(max_months=0), "whatif_max_months"),
        (PolicyDraft(child_age_limit=0), "whatif_child_age"),
        (PolicyDraft(child_age_limit=19), "whatif_child_age"),
    ],
)
def test_whatif_refuses_an_invalid_draft(world, admin, draft, code):
    world.claim([months_ago(1)])

    with pytest.raises(DomainError) as exc:
        policy_whatif(policy=world.policy, month=months_ago(1), by=admin, draft=draft)

    assert exc.value.code == code


def test_whatif_refuses_a_month_without_lines_or_not_yet_decided(world, admin):
    world.claim([months_ago(1)])
    draft = PolicyDraft(rate_amount=Decimal("350"))

    with pytest.raises(DomainError) as empty:
        policy_whatif(policy=world.policy, month=months_ago(3), by=admin, draft=draft)
    ClaimLine.objects.update(decided_at=None, decision="pending")
    with pytest.raises(DomainError) as pending:
        policy_whatif(policy=world.policy, month=months_ago(1), by=admin, draft=draft)

    assert empty.value.code == "whatif_no_lines"
    assert pending.value.code == "whatif_month_not_decided"


def test_whatif_page_shows_a_service_error_on_the_form(client, world, admin):
    world.claim([months_ago(1)])
    client.force_login(admin)

    response = client.post(whatif_url(world.policy), whatif_post(months_ago(1), rate_amount="0"))

    assert response.status_code == HTTPStatus.OK
    assert "whatif" not in response.context
    assert response.context["whatif_form"].errors["rate_amount"] == ["新的补贴金额须大于0。"]


def test_whatif_get_shows_the_forms_and_the_detail_page_links_it(client, world, admin):
    world.claim([months_ago(1)])
    client.force_login(admin)

    detail = client.get(reverse("subsidies:staff-policy-detail", args=[world.policy.pk]))
    page = client.get(whatif_url(world.policy))

    assert whatif_url(world.policy) in detail.content.decode()
    assert "试算政策调整" in text_of(detail)
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert 'name="whatif-rate_amount"' in html
    assert f'value="{months_ago(1):%Y-%m}"' in html
    assert 'name="scenario-file"' in html


# ---------------------------------------------------------------------------
# Who may try


def test_whatif_service_refuses_an_admin_of_another_region(world, make_user):
    world.claim([months_ago(1)])
    tianhe = admin_in(make_user, "440106")

    with pytest.raises(DomainError) as exc:
        policy_whatif(
            policy=world.policy,
            month=months_ago(1),
            by=tianhe,
            draft=PolicyDraft(rate_amount=Decimal("350")),
        )

    assert exc.value.code == "whatif_not_allowed"


def test_whatif_pages_are_404_for_a_district_admin_on_the_city_policy(client, world, admin):
    city = make_policy(region="440300", type_code="employer_post", amount="500.00")
    client.force_login(admin)

    detail = client.get(reverse("subsidies:staff-policy-detail", args=[city.pk]))
    get = client.get(whatif_url(city))
    post = client.post(whatif_url(city), whatif_post(months_ago(1), rate_amount="350"))
    scenario = client.post(scenario_url(city), upload("a.yaml", b"name: x\n"))

    assert detail.status_code == HTTPStatus.OK
    assert whatif_url(city) not in detail.content.decode()
    assert (get.status_code, post.status_code, scenario.status_code) == (HTTPStatus.NOT_FOUND,) * 3


def test_whatif_pages_are_403_for_bureau_staff_without_the_change_permission(
    client, world, make_user
):
    world.claim([months_ago(1)])
    before = database_state()
    client.force_login(staff_in(make_user, "440306"))

    get = client.get(whatif_url(world.policy))
    post = client.post(whatif_url(world.policy), whatif_post(months_ago(1), rate_amount="350"))
    scenario = client.post(scenario_url(world.policy), upload("a.yaml", b"name: x\n"))

    assert (get.status_code, post.status_code, scenario.status_code) == (HTTPStatus.FORBIDDEN,) * 3
    after = database_state()
    # A refused request may be audited as such; nothing else is written.
    assert {**after, "audit": None} == {**before, "audit": None}


# ---------------------------------------------------------------------------
# A scenario file


def test_scenario_upload_of_a_shipped_file_shows_its_passes(client, world, admin):
    data = (SCENARIOS / "claim_window.yaml").read_bytes()
    before = database_state()
    client.force_login(admin)

    response = client.post(scenario_url(world.policy), upload("claim_window.yaml", data))

    assert response.status_code == HTTPStatus.OK
    result = response.context["scenario"]["result"]
    assert result.error is None
    assert result.outcomes
    assert all(o.passed for o in result.outcomes)
    html = response.content.decode()
    assert html.count('data-outcome="pass"') == len(result.outcomes)
    assert 'data-outcome="fail"' not in html
    assert "PASS" in html
    assert "claim_window.yaml" in html
    assert tempfile.gettempdir() not in html  # the temporary file is not named
    assert database_state() == before


def test_scenario_upload_shows_a_failed_expectation(client, world, admin):
    text = (SCENARIOS / "claim_window.yaml").read_text(encoding="utf-8")
    wrong = text.replace("amount: 300", "amount: 301", 1)
    assert wrong != text
    client.force_login(admin)

    response = client.post(scenario_url(world.policy), upload("w.yaml", wrong.encode()))

    assert response.context["scenario"]["failed"] == 1
    assert 'data-outcome="fail"' in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name: [unclosed\ntoday: 2026-05-12\n", "不是有效的YAML"),
        ((SCENARIOS / "claim_window.yaml").read_bytes() + b"\ncolour: red\n", "不认识的键"),
        ("name: 情景\n".encode("gb18030"), "UTF-8"),
        (b"#" * (MAX_SCENARIO_BYTES + 1), "200 KB"),
        (b"- just\n- a list\n", "不符合格式"),
    ],
    ids=["bad-yaml", "unknown-key", "not-utf8", "too-large", "not-a-mapping"],
)
def test_scenario_upload_of_a_malformed_file_shows_a_clear_error(
    client, world, admin, data, message
):
    client.force_login(admin)

    response = client.post(scenario_url(world.policy), upload("bad.yaml", data))

    assert response.status_code == HTTPStatus.OK
    assert "scenario" not in response.context
    errors = response.context["scenario_form"].errors["file"]
    assert len(errors) == 1
    assert message in errors[0]
    assert message in text_of(response)


def test_scenario_get_goes_back_to_the_whatif_page(client, world, admin):
    client.force_login(admin)

    response = client.get(scenario_url(world.policy))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == whatif_url(world.policy)
