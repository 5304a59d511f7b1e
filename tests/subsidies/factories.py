"""Build subsidy policies and rate rows for tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

from mamagang.regions.models import Region
from subsidies.models import RateRow, SubsidyPolicy, SubsidyType


def make_policy(
    *,
    region: str = "440306",
    type_code: str = "employer_social_insurance",
    amount: str = "300.00",
    valid_from: datetime.date = datetime.date(2022, 1, 1),
    **fields,
) -> SubsidyPolicy:
    """A policy with one per-month rate row from `valid_from` (Zhongshan 2022's shape)."""
    fields.setdefault("legal_reference", "中府函〔2022〕226号")
    policy = SubsidyPolicy.objects.create(
        region=Region.objects.get(code=region),
        subsidy_type=SubsidyType.objects.get(code=type_code),
        **fields,
    )
    RateRow.objects.create(
        policy=policy, valid_from=valid_from, kind=RateRow.Kind.PER_MONTH, amount=Decimal(amount)
    )
    return policy
