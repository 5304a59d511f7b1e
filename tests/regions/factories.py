import datetime

import factory

from mamagang.regions.models import Region


class RegionFactory(factory.django.DjangoModelFactory):
    """A region with a made-up name; pass `code`, `level` and `parent` that fit."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{110000 + n * 100:06d}")
    name = factory.Sequence(lambda n: f"测试区划{n}")
    level = Region.Level.DISTRICT
    parent = None
    valid_from = datetime.date(2023, 1, 1)
    source_version = "test"


# Codes and names copied from the shipped file (regions-2023.csv.gz).
V2023 = [
    ("440000", "广东省", "province", ""),
    ("440300", "深圳市", "city", "440000"),
    ("440306", "宝安区", "district", "440300"),
    ("440306017", "新安街道", "street", "440306"),
    ("440306018", "西乡街道", "street", "440306"),
    ("441900", "东莞市", "city", "440000"),
    ("441900003", "东城街道", "street", "441900"),
]
