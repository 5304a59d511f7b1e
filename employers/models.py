"""
Employers, their members, and the 妈妈岗 employer registry (名录): entries
decided by district staff, dated listing periods, and published editions.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamagang.core.identifiers import USCC_DB_REGEX
from mamagang.core.models import BaseModel

from .querysets import EmployerQuerySet, RegistryEntryQuerySet

# Public code of each family-friendly facility -> the Employer flag holding it.
# The codes appear in published editions and the API; labels are rendered at
# display time so published content does not depend on the language.
FACILITY_FLAGS: dict[str, str] = {
    "nursing_room": "has_nursing_room",
    "women_home": "has_women_home",
    "childcare": "has_childcare",
    "school_run": "has_school_run_arrangement",
}


class Employer(BaseModel):
    class EntityType(models.TextChoices):
        # Derived from the first two USCC characters (DOMAIN.md §4.5).
        ENTERPRISE = "enterprise", _("企业")
        INDIVIDUAL_BUSINESS = "individual_business", _("个体工商户")
        FARMER_COOPERATIVE = "farmer_cooperative", _("农民专业合作社")
        SOCIAL_GROUP = "social_group", _("社会团体")
        PRIVATE_NON_ENTERPRISE = "private_non_enterprise", _("民办非企业单位")
        FOUNDATION = "foundation", _("基金会")
        GOVERNMENT = "government", _("机关")
        PUBLIC_INSTITUTION = "public_institution", _("事业单位")
        OTHER = "other", _("其他组织")

    class Sector(models.TextChoices):
        # Zhongshan 2.0's four priority sectors first (DOMAIN.md §2.7).
        MANUFACTURING = "manufacturing", _("工业制造")
        RESIDENT_SERVICES = "resident_services", _("居民服务")
        CULTURE_TOURISM = "culture_tourism", _("文化旅游")
        NEW_PLATFORM = "new_platform", _("新业态平台")
        CATERING = "catering", _("餐饮")
        HOUSEKEEPING = "housekeeping", _("家政")
        ECOMMERCE = "ecommerce", _("电商")
        HANDCRAFT = "handcraft", _("手工/来料加工")
        OTHER = "other", _("其他")

    class Size(models.TextChoices):
        MICRO = "micro", _("10人以下")
        SMALL = "small", _("10–99人")
        MEDIUM = "medium", _("100–999人")
        LARGE = "large", _("1000人及以上")

    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        error_messages={"unique": _("该统一社会信用代码已登记。")},
    )
    entity_type = models.CharField(
        _("主体类型"), max_length=32, choices=EntityType.choices, editable=False
    )
    sector = models.CharField(_("行业"), max_length=32, choices=Sector.choices, db_index=True)
    district = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区县"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": ["district", "city"]},
    )
    street = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属街道/乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"level": "street"},
    )
    address = models.CharField(_("经营地址"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    size = models.CharField(_("单位规模"), max_length=16, choices=Size.choices)
    description = models.TextField(_("单位简介"), blank=True, max_length=2000)
    has_nursing_room = models.BooleanField(_("设有母婴室"), default=False)
    has_women_home = models.BooleanField(_("设有妇女之家"), default=False)
    has_childcare = models.BooleanField(_("提供托育或课后托管"), default=False)
    has_school_run_arrangement = models.BooleanField(_("安排接送孩子时间"), default=False)
    facilities_note = models.TextField(_("家庭友好设施说明"), blank=True, max_length=1000)
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("就业服务专员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="specialist_for",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = EmployerQuerySet.as_manager()

    class Meta:
        verbose_name = _("用人单位")
        verbose_name_plural = _("用人单位")
        ordering = ["name", "pk"]
        permissions = [
            ("assign_specialist_employer", "Can assign employment-service specialists"),
            ("import_employer", "Can bulk-import employers"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__regex=USCC_DB_REGEX), name="employer_uscc_format"
            ),
        ]
        indexes = [
            models.Index(fields=["district", "sector"], name="employer_district_sector_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("employers:employer-public", kwargs={"pk": self.pk})

    @property
    def facility_labels(self) -> list[str]:
        flags = [
            (self.has_nursing_room, _("母婴室")),
            (self.has_women_home, _("妇女之家")),
            (self.has_childcare, _("托育/课后托管")),
            (self.has_school_run_arrangement, _("接送孩子时间安排")),
        ]
        return [str(label) for on, label in flags if on]


class EmployerMembership(BaseModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        MEMBER = "member", _("成员")

    employer = models.ForeignKey(
        Employer, verbose_name=_("用人单位"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="employer_memberships",
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")
        constraints = [
            models.UniqueConstraint(fields=["employer", "user"], name="employermembership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.employer}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class EmployerInvitation(BaseModel):
    """A single-use link an employer admin sends to let someone join."""

    employer = models.ForeignKey(
        Employer, verbose_name=_("用人单位"), on_delete=models.CASCADE, related_name="invitations"
    )
    # Only a hash of the token is stored; the link carries the token itself.
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    role = models.CharField(
        _("角色"),
        max_length=16,
        choices=EmployerMembership.Role.choices,
        default=EmployerMembership.Role.MEMBER,
    )
    note = models.CharField(_("备注"), max_length=100, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("过期时间"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接受人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("成员邀请")
        verbose_name_plural = _("成员邀请")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="employerinvitation_not_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer} ({self.get_role_display()})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class RegistryEntry(BaseModel):
    """
    An employer's application to be listed in its district's registry, and
    the listing's current state. Transitions happen only in services.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("退回修改")
        APPROVED = "approved", _("已入录")
        REJECTED = "rejected", _("不予入录")
        SUSPENDED = "suspended", _("暂停")
        REMOVED = "removed", _("移出名录")

    class Source(models.TextChoices):
        APPLICATION = "application", _("单位申报")
        IMPORT = "import", _("批量导入")

    # status -> statuses it may move to, and the service that does it.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.DRAFT: (Status.SUBMITTED,),
        Status.RETURNED: (Status.SUBMITTED,),
        Status.SUBMITTED: (Status.APPROVED, Status.RETURNED, Status.REJECTED),
        Status.APPROVED: (Status.SUSPENDED, Status.REMOVED),
        Status.SUSPENDED: (Status.APPROVED, Status.REMOVED),
        Status.REMOVED: (Status.APPROVED,),
        Status.REJECTED: (),
    }
    LISTED_STATUSES = (Status.APPROVED,)

    employer = models.ForeignKey(
        Employer,
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="registry_entries",
    )
    district = models.ForeignKey(
        "regions.Region",
        verbose_name=_("审核区县"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": ["district", "city"]},
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    source = models.CharField(
        _("来源"), max_length=16, choices=Source.choices, default=Source.APPLICATION
    )
    declared_posts = models.PositiveIntegerField(_("拟设妈妈岗数量"), default=1)
    declaration = models.TextField(
        _("申报说明"),
        blank=True,
        max_length=2000,
        help_text=_("岗位如何弹性安排、如何方便接送孩子等。"),
    )
    declaration_confirmed = models.BooleanField(_("承诺所填信息真实"), default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True, max_length=1000)

    objects = RegistryEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("名录申报")
        verbose_name_plural = _("名录申报")
        ordering = ["-updated_at", "-pk"]
        permissions = [
            ("decide_registryentry", "Can decide registry entries"),
            ("publish_registryedition", "Can publish registry editions on demand"),
        ]
        constraints = [
            # One live application per employer; a rejected one may be followed by a new one.
            models.UniqueConstraint(
                fields=["employer"],
                condition=~Q(status="rejected"),
                name="registryentry_one_live_per_employer",
                violation_error_message=_("该单位已有一份名录申报。"),
            ),
            # A decision is never anonymous.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"])
                | Q(source="import")
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="registryentry_decision_attributed",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False) | Q(source="import"),
                name="registryentry_submission_dated",
            ),
        ]
        indexes = [
            models.Index(fields=["district", "status"], name="registryentry_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.employer} · {self.get_status_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def is_editable_by_employer(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def awaits_decision(self) -> bool:
        return self.status == self.Status.SUBMITTED


class RegistryEvent(models.Model):
    """One transition of a registry entry: the entry's own readable history."""

    entry = models.ForeignKey(
        RegistryEntry, verbose_name=_("名录申报"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("原状态"), max_length=16, choices=RegistryEntry.Status.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=16, choices=RegistryEntry.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("原因"), blank=True)
    occurred_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("名录状态变更")
        verbose_name_plural = _("名录状态变更")
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class ListingPeriod(BaseModel):
    """
    A dated stretch during which an employer was listed. Half-open:
    listed on `listed_from` and on every day before `listed_until`.
    Benefits that depend on the registry read these dates.
    """

    employer = models.ForeignKey(
        Employer,
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="listing_periods",
    )
    entry = models.ForeignKey(
        RegistryEntry,
        verbose_name=_("名录申报"),
        on_delete=models.PROTECT,
        related_name="listing_periods",
    )
    listed_from = models.DateField(_("入录日期"))
    listed_until = models.DateField(_("截止日期（不含）"), null=True, blank=True)
    end_reason = models.TextField(_("结束原因"), blank=True)

    class Meta:
        verbose_name = _("入录期间")
        verbose_name_plural = _("入录期间")
        ordering = ["employer", "listed_from", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer"],
                condition=Q(listed_until__isnull=True),
                name="listingperiod_one_open_per_employer",
            ),
            models.CheckConstraint(
                condition=Q(listed_until__isnull=True) | Q(listed_until__gte=F("listed_from")),
                name="listingperiod_until_not_before_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id}: {self.listed_from} – {self.listed_until or '…'}"


class RegistrySchedule(BaseModel):
    """When a region's registry is published; regions without a row use the default."""

    region = models.OneToOneField(
        "regions.Region",
        verbose_name=_("行政区划"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": ["city", "district"]},
    )
    enabled = models.BooleanField(_("按期发布"), default=True)
    day_of_month = models.PositiveSmallIntegerField(_("每月发布日"), default=1)
    hour = models.PositiveSmallIntegerField(_("发布时刻（北京时间）"), default=9)

    class Meta:
        verbose_name = _("名录发布计划")
        verbose_name_plural = _("名录发布计划")
        constraints = [
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=28), name="schedule_day_1_28"
            ),
            models.CheckConstraint(condition=Q(hour__lte=23), name="schedule_hour_0_23"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id}: {self.day_of_month} {self.hour:02d}:00"


class RegistryEdition(models.Model):
    """
    One published, immutable edition (第N期) of a district's or a city's
    registry: the listed employers' public fields, the change from the
    previous edition, and a SHA-256 of the canonical content.
    """

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField(_("期号"))
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("按计划自动发布时为空。"),
    )
    employer_count = models.PositiveIntegerField(_("单位数"))
    content = models.JSONField(_("内容"))
    content_sha256 = models.CharField(_("内容摘要（SHA-256）"), max_length=64)
    diff = models.JSONField(_("与上一期相比的变化"))

    class Meta:
        verbose_name = _("名录")
        verbose_name_plural = _("名录")
        ordering = ["region", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"], name="registryedition_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="registryedition_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} 第{self.number}期"
