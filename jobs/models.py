"""
Flexible-hour 妈妈岗 posts: what the work is, when (weekly windows), where,
what it pays (with a comparable hourly equivalent), on which terms, and
their moderation lifecycle; per-region posting settings and the dated
minimum-wage table the labour-law checks read.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mamagang.core.models import BaseModel

from .querysets import JobQuerySet

MINUTES_PER_DAY = 24 * 60


class Job(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        PUBLISHED = "published", _("招聘中")
        RETURNED = "returned", _("退回修改")
        TAKEN_DOWN = "taken_down", _("已下架")
        CLOSED = "closed", _("已结束")
        EXPIRED = "expired", _("已过期")

    class PostMode(models.TextChoices):
        # DOMAIN.md §2.8: Shandong's four types plus Zoucheng's task-based one.
        ON_DEMAND_LEAVE = "on_demand_leave", _("弹性妈妈岗（按需请假）")
        SELF_CHOSEN_SLOTS = "self_chosen_slots", _("宝妈班组（自选时段）")
        TAKE_HOME = "take_home_piecework", _("流动妈妈岗（带回家做）")
        TASK_BASED = "task_based_free_hours", _("灵活妈妈岗（按任务自由安排）")
        NEW_BUSINESS = "new_business_form", _("新业态妈妈岗")

    class EmploymentForm(models.TextChoices):
        # DOMAIN.md §2.10.
        FULL_TIME_FLEXIBLE = "full_time_flexible", _("全日制（弹性工时）")
        PART_TIME_HOURLY = "part_time_hourly", _("非全日制（按小时）")
        PIECEWORK = "piecework", _("计件")
        OUTSOURCED = "outsourced", _("业务外包")
        DISPATCH = "dispatch", _("劳务派遣")
        REMOTE = "remote", _("远程办公")

    class LocationMode(models.TextChoices):
        AT_HOME = "at_home", _("家里边（在家做）")
        COMMUNITY = "community", _("家门口（社区就近）")
        NEARBY = "nearby", _("家周边")
        ON_SITE = "on_site", _("在单位")

    class PayUnit(models.TextChoices):
        HOUR = "hour", _("每小时")
        PIECE = "piece", _("每件")
        DAY = "day", _("每天")
        MONTH = "month", _("每月")

    class Education(models.TextChoices):
        NONE = "none", _("不限")
        JUNIOR_HIGH = "junior_high", _("初中")
        SENIOR_HIGH = "senior_high", _("高中/中专")
        COLLEGE = "college", _("大专")
        BACHELOR = "bachelor", _("本科")

    class CloseReason(models.TextChoices):
        FILLED = "filled", _("已招满")
        NOT_FILLED = "not_filled", _("未招到")
        WITHDRAWN = "withdrawn", _("不再招聘")

    employer = models.ForeignKey(
        "employers.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    title = models.CharField(_("岗位名称"), max_length=100)
    description = models.TextField(_("岗位描述"), max_length=5000)
    sector = models.CharField(_("行业"), max_length=32, db_index=True)
    occupation = models.CharField(_("工种"), max_length=50, help_text=_("例如：客服、保洁、质检"))
    post_modes = ArrayField(
        models.CharField(max_length=32, choices=PostMode.choices),
        verbose_name=_("妈妈岗类型"),
        size=5,
    )
    employment_form = models.CharField(
        _("用工形式"), max_length=32, choices=EmploymentForm.choices, db_index=True
    )
    location_mode = models.CharField(
        _("工作地点类型"), max_length=16, choices=LocationMode.choices, db_index=True
    )
    district = models.ForeignKey(
        "regions.Region", verbose_name=_("工作区县"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        "regions.Region",
        verbose_name=_("工作街道/乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    address = models.CharField(_("工作地址"), max_length=200, blank=True)
    hours_per_week = models.DecimalField(
        _("每周工时"), max_digits=4, decimal_places=1, help_text=_("由每周时间段计算")
    )
    pay_unit = models.CharField(_("计薪单位"), max_length=8, choices=PayUnit.choices)
    pay_min = models.DecimalField(_("最低报酬（元）"), max_digits=9, decimal_places=2)
    pay_max = models.DecimalField(_("最高报酬（元）"), max_digits=9, decimal_places=2)
    pieces_per_hour = models.DecimalField(
        _("每小时约可完成件数"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    # Derived (services): comparable across pay units, for filters and sorting.
    hourly_min = models.DecimalField(_("折合时薪下限（元）"), max_digits=8, decimal_places=2)
    hourly_max = models.DecimalField(_("折合时薪上限（元）"), max_digits=8, decimal_places=2)
    pay_cycle_days = models.PositiveSmallIntegerField(_("工资结算周期（天）"), default=30)
    headcount = models.PositiveSmallIntegerField(_("招聘人数"), default=1)
    education = models.CharField(
        _("学历要求"), max_length=16, choices=Education.choices, default=Education.NONE
    )
    certificates = models.CharField(_("证书要求"), max_length=200, blank=True)
    other_requirements = models.TextField(_("其他要求"), blank=True, max_length=1000)
    has_labour_contract = models.BooleanField(_("签订劳动合同"), default=False)
    contract_months = models.PositiveSmallIntegerField(_("合同期限（月）"), null=True, blank=True)
    social_insurance = models.BooleanField(_("缴纳社会保险"), default=False)
    work_injury_insurance = models.BooleanField(_("缴纳工伤保险"), default=False)
    training_provided = models.BooleanField(_("提供岗前培训"), default=False)
    promotion_path = models.CharField(_("晋升通道"), max_length=200, blank=True)
    valid_from = models.DateField(_("开始日期"))
    valid_until = models.DateField(_("截止日期"))
    # Derived: every window lies inside the region's school-day window.
    school_run_friendly = models.BooleanField(_("方便接送孩子"), default=False, db_index=True)

    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_reason = models.TextField(_("退回或下架原因"), blank=True, max_length=1000)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    close_reason = models.CharField(
        _("结束原因"), max_length=16, choices=CloseReason.choices, blank=True
    )
    expiry_warned_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # jieba-segmented title, occupation, employer name and description, space-joined
    # (SETUP-NOTES: 2-character words need segmentation, not trigrams).
    search_tokens = models.TextField(editable=False, default="")
    search_vector = models.GeneratedField(
        expression=SearchVector("search_tokens", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("妈妈岗岗位")
        verbose_name_plural = _("妈妈岗岗位")
        ordering = ["-published_at", "-pk"]
        permissions = [("moderate_job", "Can review and take down job posts")]
        constraints = [
            models.CheckConstraint(condition=Q(pay_min__gt=0), name="job_pay_positive"),
            models.CheckConstraint(condition=Q(pay_max__gte=F("pay_min")), name="job_pay_range"),
            models.CheckConstraint(
                condition=~Q(pay_unit="piece") | Q(pieces_per_hour__gt=0),
                name="job_piece_rate_needs_pieces_per_hour",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="job_valid_range"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gt=0, hours_per_week__lte=84),
                name="job_hours_per_week_range",
            ),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="job_headcount_positive"),
            models.CheckConstraint(
                condition=Q(pay_cycle_days__gte=1, pay_cycle_days__lte=31),
                name="job_pay_cycle_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="job_published_dated",
            ),
            models.CheckConstraint(condition=~Q(post_modes=[]), name="job_has_a_post_mode"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="job_search_idx"),
            GinIndex(fields=["post_modes"], name="job_post_modes_idx"),
            # The public list: published posts, newest first.
            models.Index(
                fields=["-published_at", "-id"],
                name="job_public_newest_idx",
                condition=Q(status="published"),
            ),
            models.Index(
                fields=["district", "-published_at"],
                name="job_public_district_idx",
                condition=Q(status="published"),
            ),
            models.Index(
                fields=["hourly_max"], name="job_public_pay_idx", condition=Q(status="published")
            ),
            models.Index(fields=["employer", "status"], name="job_employer_status_idx"),
            models.Index(fields=["status", "valid_until"], name="job_status_valid_until_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("jobs:job-detail", kwargs={"pk": self.pk})


class JobWindow(models.Model):
    """
    One weekly working window in minutes after midnight, end exclusive.
    An overnight shift is stored as two windows, split at midnight.
    """

    class Weekday(models.IntegerChoices):
        MON = 0, _("周一")
        TUE = 1, _("周二")
        WED = 2, _("周三")
        THU = 3, _("周四")
        FRI = 4, _("周五")
        SAT = 5, _("周六")
        SUN = 6, _("周日")

    job = models.ForeignKey(
        Job, verbose_name=_("岗位"), on_delete=models.CASCADE, related_name="windows"
    )
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start_minute = models.PositiveSmallIntegerField(_("开始（分钟）"))
    end_minute = models.PositiveSmallIntegerField(_("结束（分钟）"))

    class Meta:
        verbose_name = _("工作时间段")
        verbose_name_plural = _("工作时间段")
        ordering = ["job", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6)
                & Q(start_minute__gte=0)
                & Q(end_minute__gt=F("start_minute"))
                & Q(end_minute__lte=MINUTES_PER_DAY),
                name="jobwindow_valid_interval",
            ),
        ]
        indexes = [models.Index(fields=["job", "weekday"], name="jobwindow_job_weekday_idx")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_label}–{self.end_label}"

    @property
    def start_label(self) -> str:
        return f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}"

    @property
    def end_label(self) -> str:
        return f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}"


class JobRegionSetting(BaseModel):
    """Per-region posting rules; a district's row wins over its city's, else defaults."""

    region = models.OneToOneField(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    review_required = models.BooleanField(
        _("岗位须经审核后发布"),
        default=False,
        help_text=_("否：名录内单位的岗位提交后立即发布，工作人员可下架。"),
    )
    school_day_start_minute = models.PositiveSmallIntegerField(
        _("在校时段开始（分钟）"), default=510
    )
    school_day_end_minute = models.PositiveSmallIntegerField(_("在校时段结束（分钟）"), default=960)

    class Meta:
        verbose_name = _("岗位地区设置")
        verbose_name_plural = _("岗位地区设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(school_day_end_minute__gt=F("school_day_start_minute"))
                & Q(school_day_end_minute__lte=MINUTES_PER_DAY),
                name="jobregionsetting_school_day_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.region_id)


class MinimumWage(models.Model):
    """
    The statutory minimum wage of a region from a date: monthly (full-time)
    and hourly (non-full-time). A city row wins over its province's; the
    value for a day is the latest row valid on it.
    """

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("执行日期"))
    monthly = models.DecimalField(_("月最低工资（元）"), max_digits=8, decimal_places=2)
    hourly = models.DecimalField(_("非全日制小时最低工资（元）"), max_digits=6, decimal_places=2)
    source = models.CharField(_("依据"), max_length=300)

    class Meta:
        verbose_name = _("最低工资标准")
        verbose_name_plural = _("最低工资标准")
        ordering = ["region", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "valid_from"], name="minimumwage_unique"),
            models.CheckConstraint(
                condition=Q(monthly__gt=0, hourly__gt=0), name="minimumwage_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.valid_from}: {self.hourly}/h"


class JobEvent(models.Model):
    """One status change of a post, the post's readable history."""

    job = models.ForeignKey(
        Job, verbose_name=_("岗位"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("原因"), blank=True)
    occurred_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("岗位状态变更")
        verbose_name_plural = _("岗位状态变更")
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"
