"""Administrative divisions: provinces, cities, districts/counties, streets/towns."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamagang.core.models import BaseModel

from .querysets import RegionQuerySet


class Region(BaseModel):
    """
    One division code. Rows are never deleted: a code dropped from a newer
    data file gets `valid_to`, so records that point at it still resolve.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("地级")
        DISTRICT = "district", _("县级")
        STREET = "street", _("乡级")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("启用日期"))
    valid_to = models.DateField(
        _("停用日期"), null=True, blank=True, help_text=_("最后有效的一天；为空表示仍在使用。")
    )
    source_version = models.CharField(
        _("数据版本"),
        max_length=32,
        help_text=_("最后写入此行的数据文件版本。"),
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ("code",)
        constraints = (
            # GB/T 2260 codes are 6 digits; GB/T 10114 adds 3 for streets and towns.
            models.CheckConstraint(
                condition=(
                    Q(level__in=["province", "city", "district"], code__regex=r"^[0-9]{6}$")
                    | Q(level="street", code__regex=r"^[0-9]{9}$")
                ),
                name="region_code_matches_level",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="region_valid_to_not_before_valid_from",
            ),
        )
        # No explicit indexes. Prefix scoping ("a city means all its
        # districts") filters with code__startswith, i.e. LIKE '4403%', which
        # under a non-C collation only a varchar_pattern_ops index serves. On
        # PostgreSQL Django already adds one for a unique CharField
        # (regions_region_code_<hash>_like), next to the unique index used
        # for equality; the parent FK gets its own index too. A named
        # pattern-ops index here would duplicate the first.

    def __str__(self) -> str:
        return self.name


class RegionDataset(models.Model):
    """
    One load of a division data file. Append-only, hence no updated_at; the
    latest row lets a repeated load of the same file return at once.
    """

    version = models.CharField(_("版本"), max_length=32)
    sha256 = models.CharField(_("SHA-256 摘要"), max_length=64)
    row_count = models.PositiveIntegerField(_("行数"))
    valid_from = models.DateField(_("启用日期"))
    loaded_at = models.DateTimeField(_("导入时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("区划数据导入记录")
        verbose_name_plural = _("区划数据导入记录")
        ordering = ("-loaded_at", "-pk")
        get_latest_by = ("loaded_at", "pk")

    def __str__(self) -> str:
        return f"{self.version} ({self.sha256[:12]})"
