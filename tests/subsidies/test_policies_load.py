import datetime
from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from mamagang.core.models import AuditEvent
from subsidies.management.commands.subsidies_policies_load import (
    SHIPPED_FILE,
    PolicyDataError,
    policies_load,
)
from subsidies.models import RateRow, SubsidyPolicy
from tests.conftest import load_shipped_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhongshan_zhuhai():
    return load_shipped_regions("4420", "4404")


def _load(**kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("subsidies_policies_load", stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED_FILE.read_text(encoding="utf-8"))


def _write(tmp_path, data) -> str:
    path = tmp_path / "policies.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _rates(region: str, type_code: str) -> list[tuple]:
    return list(
        RateRow.objects.filter(policy__region__code=region, policy__subsidy_type__code=type_code)
        .order_by("valid_from")
        .values_list("valid_from", "valid_until", "kind", "amount")
    )


def test_shipped_file_seeds_zhongshan_and_zhuhai(zhongshan_zhuhai):
    out, err = _load()

    assert "4 created, 0 updated, 0 unchanged" in out
    assert err == ""
    trial, second = datetime.date(2022, 7, 4), datetime.date(2023, 11, 2)
    trial_end = datetime.date(2023, 7, 4)
    for code, amount in [
        ("employer_social_insurance", Decimal("300.00")),
        ("employer_post", Decimal("100.00")),
        ("flexible_social_insurance", Decimal("300.00")),
    ]:
        assert _rates("442000", code) == [
            (trial, trial_end, "per_month", amount),
            (second, None, "per_month", amount),
        ]
    employer_si = SubsidyPolicy.objects.get(
        region__code="442000", subsidy_type__code="employer_social_insurance"
    )
    assert (employer_si.max_months, employer_si.min_contract_months) == (12, 12)
    assert employer_si.requires_labour_contract
    assert employer_si.requires_contribution
    assert employer_si.retirement_extension_years is None
    assert "中府函〔2022〕226号" in employer_si.legal_reference
    zhuhai = SubsidyPolicy.objects.get(region__code="440400")
    assert zhuhai.subsidy_type.code == "employment_base_award"
    assert zhuhai.active
    assert sorted(zhuhai.rates.values_list("recognition_year", "valid_from", "kind", "amount")) == [
        (1, datetime.date(2024, 1, 1), "per_year", Decimal("200000.00")),
        (2, datetime.date(2024, 1, 1), "per_year", Decimal("100000.00")),
    ]
    events = AuditEvent.objects.filter(action="subsidy_policy.loaded")
    assert events.count() == 4
    assert {e.actor for e in events} == {None}
    event = events.get(object_id=str(employer_si.pk))
    assert event.before is None
    assert [rate["amount"] for rate in event.after["rates"]] == ["300.00", "300.00"]


def test_shipped_file_never_holds_the_demo_policy(zhongshan_zhuhai):
    _load()

    assert not SubsidyPolicy.objects.filter(legal_reference__contains="演示").exists()
    assert not RateRow.objects.filter(legal_reference__contains="演示").exists()


def test_loading_twice_changes_nothing(zhongshan_zhuhai):
    _load()
    stamps = list(SubsidyPolicy.objects.order_by("pk").values_list("pk", "updated_at"))
    rates = list(RateRow.objects.order_by("pk").values_list("pk", "updated_at"))
    events = AuditEvent.objects.count()

    out, _err = _load()

    assert "0 created, 0 updated, 4 unchanged" in out
    assert list(SubsidyPolicy.objects.order_by("pk").values_list("pk", "updated_at")) == stamps
    assert list(RateRow.objects.order_by("pk").values_list("pk", "updated_at")) == rates
    assert AuditEvent.objects.count() == events


def test_regions_not_loaded_are_skipped_with_a_warning():
    load_shipped_regions("4420")

    out, err = _load()

    assert "Region 440400 is not loaded" in err
    assert "3 created" in out
    assert not SubsidyPolicy.objects.filter(region__code="440400").exists()


def test_a_changed_figure_updates_its_row_and_is_audited(zhongshan_zhuhai, tmp_path):
    _load()
    data = _shipped()
    post = next(p for p in data["policies"] if p["subsidy_type"] == "employer_post")
    post["rates"][1]["amount"] = "120.00"
    post["claim_window_months"] = 6

    out, _err = _load(file=_write(tmp_path, data))

    assert "0 created, 1 updated, 3 unchanged" in out
    assert _rates("442000", "employer_post")[1][3] == Decimal("120.00")
    policy = SubsidyPolicy.objects.get(region__code="442000", subsidy_type__code="employer_post")
    assert policy.claim_window_months == 6
    event = AuditEvent.objects.filter(action="subsidy_policy.loaded").latest("pk")
    assert event.object_id == str(policy.pk)
    assert event.before["claim_window_months"] == 3
    assert event.after["claim_window_months"] == 6
    assert [r["amount"] for r in event.before["rates"]] == ["100.00", "100.00"]
    assert [r["amount"] for r in event.after["rates"]] == ["100.00", "120.00"]


def test_create_only_leaves_a_policy_edited_in_the_admin(zhongshan_zhuhai):
    _load()
    SubsidyPolicy.objects.filter(region__code="442000").update(max_months=6)

    result = policies_load(update=False)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert set(
        SubsidyPolicy.objects.filter(region__code="442000").values_list("max_months", flat=True)
    ) == {6}


def test_a_bad_entry_loads_nothing_and_lists_every_problem(zhongshan_zhuhai, tmp_path):
    data = _shipped()
    first = data["policies"][0]
    first["rates"].append(
        {"valid_from": "2023-01-01", "kind": "per_month", "amount": "300.00"}
    )  # inside the 2022 trial's row
    data["policies"].append(
        {
            "region": "442000",
            "subsidy_type": "no_such_type",
            "legal_reference": "x",
            "rates": [{"valid_from": "2024-01-01", "kind": "per_month", "amount": "1.00"}],
        }
    )

    with pytest.raises(CommandError) as excinfo:
        _load(file=_write(tmp_path, data))

    message = str(excinfo.value)
    assert "nothing was loaded" in message
    assert "overlap" in message
    assert "unknown subsidy type 'no_such_type'" in message
    assert not SubsidyPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="subsidy_policy.loaded").exists()


def test_a_row_overlapping_one_added_in_the_admin_loads_nothing(zhongshan_zhuhai, tmp_path):
    _load()
    policy = SubsidyPolicy.objects.get(
        region__code="442000", subsidy_type__code="employer_social_insurance"
    )
    # Staff fill the gap between the two documents by hand.
    RateRow.objects.create(
        policy=policy,
        valid_from=datetime.date(2023, 8, 1),
        valid_until=datetime.date(2023, 10, 1),
        kind=RateRow.Kind.PER_MONTH,
        amount=Decimal("300.00"),
    )
    data = _shipped()
    data["policies"][0]["rates"].append(
        {
            "valid_from": datetime.date(2023, 9, 1),
            "valid_until": datetime.date(2023, 11, 1),
            "kind": "per_month",
            "amount": "250.00",
        }
    )
    data["policies"][1]["max_months"] = 24  # a good change in the same file
    events = AuditEvent.objects.count()

    with pytest.raises(PolicyDataError) as excinfo:
        policies_load(data=data)

    assert any("already in the database" in error for error in excinfo.value.errors)
    assert RateRow.objects.filter(policy=policy).count() == 3
    assert set(SubsidyPolicy.objects.values_list("max_months", flat=True)) == {12, 36, None}
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"colour": "blue"}, "unknown field(s) colour"),
        ({"region": "4420"}, "region must be a 6-digit code"),
        ({"max_months": "twelve"}, "max_months must be int or null"),
        ({"rates": []}, "rates must be a non-empty list"),
        (
            {"rates": [{"valid_from": "2024-01-01", "kind": "per_month"}]},
            "per_month takes amount only",
        ),
        (
            {
                "rates": [
                    {
                        "valid_from": "2024-01-01",
                        "valid_until": "2023-01-01",
                        "kind": "per_month",
                        "amount": "1",
                    }
                ]
            },
            "valid_until must be after valid_from",
        ),
        (
            {
                "rates": [
                    {
                        "valid_from": "2024-01-01",
                        "kind": "contribution_share",
                        "share": "1.5",
                        "cap": "300",
                    }
                ]
            },
            "share must be above 0 and at most 1",
        ),
    ],
)
def test_malformed_entries_are_reported(zhongshan_zhuhai, change, expected):
    entry = {
        "region": "442000",
        "subsidy_type": "employer_post",
        "legal_reference": "x",
        "rates": [{"valid_from": "2024-01-01", "kind": "per_month", "amount": "100.00"}],
        **change,
    }

    with pytest.raises(PolicyDataError) as excinfo:
        policies_load(data={"policies": [entry]})

    assert any(expected in error for error in excinfo.value.errors), excinfo.value.errors
    assert not SubsidyPolicy.objects.exists()
