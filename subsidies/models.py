"""
Subsidies: dated policies and rate rows, imported contribution records,
claims and claim lines with stored decision records, and the runs that
decide a region's month (DOMAIN.md §5, EXPECTATIONS.md "Subsidies and
eligibility"). Money is Decimal CNY; months are the 1st of the month.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from applicants.rules import DEFAULT_REVIEW_REASONS, RULES
from mamagang.core.models import BaseModel

REVIEW_REASON_CHOICES = [(rule.reason.value, rule.label) for rule in RULES if rule.fails]


def default_review_reasons() -> list[str]:
    return [reason.value for reason in DEFAULT_REVIEW_REASONS]


class DateRange(Func):
    """daterange(lower, upper, '[)') for exclusion constraints; a null upper is open."""

    function = "DATERANGE"
    output_field = DateRangeField()


class SubsidyType(models.Model):
    """A kind of subsidy; extensible by data (DOMAIN.md §2.5, §5)."""

    class Payee(models.TextChoices):
        EMPLOYER = "employer", _("用人单位")
        PERSON = "person", _("个人")

    # Employment-base awards: per base and year of recognition, never claim lines.
    BASE_AWARD = "employment_base_award"

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    payee = models.CharField(_("补贴对象"), max_length=10, choices=Payee.choices)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("补贴类型")
        verbose_name_plural = _("补贴类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SubsidyPolicy(BaseModel):
    """
    One subsidy type in one region (a city or a district): its conditions,
    its entitlement clock and its claim window. Amounts are dated RateRows.
    A district's policy wins over its city's for the same type.
    """

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    subsidy_type = models.ForeignKey(
        SubsidyType, verbose_name=_("补贴类型"), on_delete=models.PROTECT, related_name="policies"
    )
    legal_reference = models.CharField(_("政策依据"), max_length=300)
    # Every condition and the rate are evaluated on this day of the claimed month.
    reference_day = models.PositiveSmallIntegerField(_("判定日（每月第几日）"), default=1)
    max_months = models.PositiveSmallIntegerField(
        _("每人最长享受月数"),
        null=True,
        blank=True,
        help_text=_("跨单位累计计算；留空为不限。"),
    )
    # 就业补助资金管理办法: people within 5 years of retirement at their first approved
    # month may continue until retirement.
    retirement_extension_years = models.PositiveSmallIntegerField(
        _("距退休年限内可延长至退休（年）"), null=True, blank=True, default=5
    )
    claim_window_months = models.PositiveSmallIntegerField(
        _("申领期限（所属月份后几个月内）"), default=3
    )
    requires_listing = models.BooleanField(_("须为名录内单位"), default=True)
    requires_declaration = models.BooleanField(_("须申明为妈妈岗"), default=True)
    requires_labour_contract = models.BooleanField(_("须签订劳动合同"), default=False)
    min_contract_months = models.PositiveSmallIntegerField(
        _("最短合同期限（月）"), null=True, blank=True
    )
    requires_contribution = models.BooleanField(_("须有当月社保缴费记录"), default=True)
    # Reasons that send a line to review instead of refusing it (policy data; a missing
    # contribution record is often a late file, DOMAIN.md §5.4, §5.6).
    review_reasons = ArrayField(
        models.CharField(max_length=32, choices=REVIEW_REASON_CHOICES),
        verbose_name=_("转人工复核的原因"),
        default=default_review_reasons,
        blank=True,
        help_text=_("出现这些原因（且没有其他原因）时，明细转人工复核，而不是直接判为不符合。"),
    )
    # Amounts above this need a second approver (maker-checker, EXPECTATIONS.md).
    second_approval_above = models.DecimalField(
        _("超过此金额须二次审批（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    publicity_days = models.PositiveSmallIntegerField(_("公示天数"), default=5)
    # 免申即享 (DOMAIN.md §5.4): each month the bureau's run creates the lines itself
    # from employment registrations; employers need not claim.
    auto_generate = models.BooleanField(_("免申即享（每月自动生成明细）"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("补贴政策")
        verbose_name_plural = _("补贴政策")
        ordering = ["region", "subsidy_type"]
        permissions = [("run_eligibility", "Can start eligibility runs for a region's month")]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "subsidy_type"], name="subsidypolicy_one_per_region_type"
            ),
            models.CheckConstraint(
                condition=Q(reference_day__gte=1, reference_day__lte=28),
                name="subsidypolicy_reference_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.subsidy_type_id}"


class RateRow(BaseModel):
    """
    The amount of a policy from a date: per person-month, a share of the
    actual contribution with a cap, or a fixed yearly amount (paid as
    twelfths per month). Rows of one policy never overlap (database).
    """

    class Kind(models.TextChoices):
        PER_MONTH = "per_month", _("每人每月固定金额")
        CONTRIBUTION_SHARE = "contribution_share", _("按实际缴费比例（有上限）")
        PER_YEAR = "per_year", _("每年固定金额")

    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("补贴政策"), on_delete=models.PROTECT, related_name="rates"
    )
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期（不含）"), null=True, blank=True)
    kind = models.CharField(_("计算方式"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Ten decimals: 2/3 is stored as 0.6666666667 and amounts are rounded down to the fen.
    share = models.DecimalField(
        _("补贴比例"), max_digits=11, decimal_places=10, null=True, blank=True
    )
    cap = models.DecimalField(
        _("每月上限（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    legal_reference = models.CharField(_("依据"), max_length=300, blank=True)
    # Employment-base awards only: the cap of the n-th year of a base's
    # recognition (Zhuhai: year 1 at most 200,000, year 2 at most 100,000).
    recognition_year = models.PositiveSmallIntegerField(
        _("认定年度"),
        null=True,
        blank=True,
        help_text=_("仅用于就业基地奖补：认定后第几年的上限。"),
    )

    class Meta:
        verbose_name = _("补贴标准")
        verbose_name_plural = _("补贴标准")
        ordering = ["policy", "valid_from"]
        constraints = [
            ExclusionConstraint(
                name="raterow_no_overlap",
                expressions=[
                    (F("policy"), RangeOperators.EQUAL),
                    (Coalesce("recognition_year", 0), RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_until"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(
                condition=Q(recognition_year__isnull=True) | Q(recognition_year__gte=1),
                name="raterow_recognition_year",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="raterow_valid_range",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="per_month", amount__gt=0)
                    | Q(kind="per_year", amount__gt=0)
                    | Q(kind="contribution_share", share__gt=0, share__lte=1, cap__gt=0)
                ),
                name="raterow_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.valid_from}"


class ContributionImport(BaseModel):
    """One imported monthly social-insurance file (all-or-nothing, idempotent by hash)."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64, unique=True)
    row_count = models.PositiveIntegerField(_("行数"))
    created_count = models.PositiveIntegerField(_("新增"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("社保缴费导入")
        verbose_name_plural = _("社保缴费导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class ContributionRecord(models.Model):
    """
    A person's social-insurance contribution for a month, by her keyed hash
    (the ID number is never stored here), through an employer (USCC) or as a
    flexible worker (no USCC).
    """

    person_hash = models.CharField(_("身份证号码摘要"), max_length=64)
    month = models.DateField(_("所属月份"))
    employer_uscc = models.CharField(_("单位统一社会信用代码"), max_length=18, blank=True)
    insurance_types = ArrayField(
        models.CharField(max_length=20), verbose_name=_("险种"), default=list
    )
    employer_amount = models.DecimalField(_("单位缴费（元）"), max_digits=10, decimal_places=2)
    person_amount = models.DecimalField(_("个人缴费（元）"), max_digits=10, decimal_places=2)
    source = models.ForeignKey(
        ContributionImport,
        verbose_name=_("导入批次"),
        on_delete=models.PROTECT,
        related_name="records",
    )

    class Meta:
        verbose_name = _("社保缴费记录")
        verbose_name_plural = _("社保缴费记录")
        permissions = [("import_contributions", "Can import social-insurance contribution files")]
        constraints = [
            models.UniqueConstraint(
                fields=["person_hash", "month", "employer_uscc"],
                name="contribution_unique_person_month_payer",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="contribution_month_first_day"),
            models.CheckConstraint(
                condition=Q(employer_amount__gte=0, person_amount__gte=0),
                name="contribution_amounts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["month", "person_hash"], name="contribution_month_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Claim(BaseModel):
    """A request for one or more months: by an employer, a flexible worker, or the bureau."""

    class Source(models.TextChoices):
        EMPLOYER = "employer", _("单位申报")
        PERSON = "person", _("个人申报")
        BUREAU = "bureau", _("免申即享（系统生成）")

    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    employer = models.ForeignKey(
        "employers.Employer",
        verbose_name=_("申报单位"),
        on_delete=models.PROTECT,
        related_name="claims",
        null=True,
        blank=True,
    )
    applicant = models.ForeignKey(
        "applicants.Applicant",
        verbose_name=_("申报个人"),
        on_delete=models.PROTECT,
        related_name="claims",
        null=True,
        blank=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("补贴申报")
        verbose_name_plural = _("补贴申报")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source="employer", employer__isnull=False, applicant__isnull=True)
                    | Q(source="person", applicant__isnull=False, employer__isnull=True)
                    | Q(source="bureau", applicant__isnull=True)
                ),
                name="claim_claimant_matches_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"


class ClaimLine(BaseModel):
    """
    One person, one subsidy type, one month, one claimant. At most one line
    that is not rejected per person, type and month across all claimants
    (a database constraint).
    """

    class Decision(models.TextChoices):
        PENDING = "pending", _("待判定")
        ELIGIBLE = "eligible", _("符合")
        INELIGIBLE = "ineligible", _("不符合")
        NEEDS_REVIEW = "needs_review", _("需人工审核")

    class Status(models.TextChoices):
        OPEN = "open", _("审核中")
        APPROVED = "approved", _("已审核通过")
        REJECTED = "rejected", _("已驳回")
        PAID = "paid", _("已发放")

    claim = models.ForeignKey(
        Claim, verbose_name=_("申报"), on_delete=models.PROTECT, related_name="lines"
    )
    applicant = models.ForeignKey(
        "applicants.Applicant",
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="claim_lines",
    )
    subsidy_type = models.ForeignKey(
        SubsidyType, verbose_name=_("补贴类型"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("所属月份"))
    employer = models.ForeignKey(
        "employers.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="claim_lines",
        null=True,
        blank=True,
    )
    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("补贴政策"), on_delete=models.PROTECT, related_name="lines"
    )
    decision = models.CharField(
        _("判定"), max_length=12, choices=Decision.choices, default=Decision.PENDING
    )
    reasons = ArrayField(
        models.CharField(max_length=40), verbose_name=_("原因"), default=list, blank=True
    )
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rate_row = models.ForeignKey(
        RateRow,
        verbose_name=_("适用标准"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("判定时间"), null=True, blank=True)
    # A digest of the decision's inputs: a re-decision that finds the same inputs changes nothing.
    inputs_digest = models.CharField(_("输入摘要"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    status_reason = models.TextField(_("审核意见"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    batch = models.ForeignKey(
        "PaymentBatch",
        verbose_name=_("发放批次"),
        on_delete=models.PROTECT,
        related_name="lines",
        null=True,
        blank=True,
    )
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补贴明细")
        verbose_name_plural = _("补贴明细")
        ordering = ["month", "pk"]
        permissions = [("review_claimline", "Can decide and approve subsidy claim lines")]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "subsidy_type", "month"],
                condition=~Q(status="rejected"),
                name="claimline_one_live_per_person_type_month",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="claimline_month_first_day"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="claimline_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"])
                | Q(decision="eligible", amount__isnull=False, approved_by__isnull=False),
                name="claimline_approved_is_eligible",
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "month", "status"], name="claimline_policy_month_idx"),
            models.Index(fields=["claim"], name="claimline_claim_idx"),
            models.Index(
                fields=["applicant", "subsidy_type", "month"],
                name="claimline_clock_idx",
                condition=Q(decision="eligible") & ~Q(status="rejected"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.subsidy_type_id} {self.month:%Y-%m}"


class DecisionRecord(models.Model):
    """
    Why a line was decided as it was: the rule version, the rate row, the
    inputs (a snapshot) and the outcome. Appended, never changed.
    """

    line = models.ForeignKey(
        ClaimLine, verbose_name=_("补贴明细"), on_delete=models.CASCADE, related_name="decisions"
    )
    run = models.ForeignKey(
        "EligibilityRun",
        verbose_name=_("判定批次"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("判定时间"))
    rule_version = models.CharField(_("规则版本"), max_length=20)
    decision = models.CharField(_("判定"), max_length=12)
    reasons = ArrayField(models.CharField(max_length=40), verbose_name=_("原因"), default=list)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rate_row = models.ForeignKey(
        RateRow,
        verbose_name=_("适用标准"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    inputs = models.JSONField(_("判定依据"))

    class Meta:
        verbose_name = _("判定记录")
        verbose_name_plural = _("判定记录")
        ordering = ["line", "decided_at", "pk"]
        indexes = [models.Index(fields=["line", "-decided_at"], name="decisionrecord_line_idx")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.decision}"


class EligibilityRun(BaseModel):
    """Deciding one policy's month: chunked, restartable, watched by staff."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("月度判定")
        NIGHTLY = "nightly", _("夜间复核")
        MANUAL = "manual", _("手动")

    class Status(models.TextChoices):
        PENDING = "pending", _("等待中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("补贴政策"), on_delete=models.PROTECT, related_name="runs"
    )
    month = models.DateField(_("所属月份"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_chunks = models.PositiveIntegerField(_("分块数"), default=0)
    done_chunks = models.PositiveIntegerField(_("已完成分块"), default=0)
    lines_created = models.PositiveIntegerField(_("新建明细"), default=0)
    lines_decided = models.PositiveIntegerField(_("判定明细"), default=0)
    lines_changed = models.PositiveIntegerField(_("判定变化"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("判定批次")
        verbose_name_plural = _("判定批次")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="run_month_first_day"),
            # One unfinished run per policy and month: a second start joins it.
            models.UniqueConstraint(
                fields=["policy", "month"],
                condition=Q(status__in=["pending", "running"]),
                name="run_one_open_per_policy_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.month:%Y-%m} {self.status}"

    @property
    def percent(self) -> int:
        if not self.total_chunks:
            return 100 if self.status == self.Status.DONE else 0
        return round(100 * self.done_chunks / self.total_chunks)


class RunChunk(models.Model):
    """An id range of a run's lines, decided by one Celery task; retried on failure."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待中")
        PROCESSING = "processing", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    run = models.ForeignKey(
        EligibilityRun, verbose_name=_("判定批次"), on_delete=models.CASCADE, related_name="chunks"
    )
    first_id = models.BigIntegerField(_("起始编号"))
    last_id = models.BigIntegerField(_("结束编号"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    decided = models.PositiveIntegerField(_("判定数"), default=0)
    changed = models.PositiveIntegerField(_("变化数"), default=0)
    # When a worker last took the chunk: a chunk still "processing" long after
    # this is judged stuck (its worker died) and may be taken again.
    started_at = models.DateTimeField(_("开始处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("判定分块")
        verbose_name_plural = _("判定分块")
        ordering = ["run", "first_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_id__gte=F("first_id")), name="runchunk_id_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} [{self.first_id}, {self.last_id}]"


class Suspicion(BaseModel):
    """
    A fraud signal for staff to confirm or dismiss with a note. Its `key`
    names what it is about; (kind, key) is unique, so a dismissed signal is
    never raised again.
    """

    class Kind(models.TextChoices):
        MULTI_EMPLOYER_CLAIMS = "multi_employer_claims", _("同一人员同月被多家单位申报")
        HEADCOUNT_JUMP = "headcount_jump", _("单位妈妈岗人数异常激增")
        HIRE_BEFORE_CLAIM = "hire_before_claim", _("申报前突击招用")
        NO_CONTRIBUTION = "no_contribution", _("申报月份无社保缴费记录")
        DELISTED_PENDING = "delisted_pending", _("已移出名录单位仍有待审申报")
        MANY_EMPLOYERS = "many_employers", _("同一人员同时受雇于多家单位")

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        CONFIRMED = "confirmed", _("已确认")
        DISMISSED = "dismissed", _("已排除")

    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    key = models.CharField(_("标识"), max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    employer = models.ForeignKey(
        "employers.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    applicant = models.ForeignKey(
        "applicants.Applicant",
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    month = models.DateField(_("所属月份"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("核查意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("疑点")
        verbose_name_plural = _("疑点")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="suspicion_raised_once"),
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(note="") & Q(decided_by__isnull=False)),
                name="suspicion_decision_has_note",
            ),
        ]
        indexes = [models.Index(fields=["region", "status"], name="suspicion_region_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class PaymentBatch(BaseModel):
    """
    Approved lines paid together: 公示 (public notice) first, then approval
    of the batch, export with control totals, and marking paid.
    """

    class Status(models.TextChoices):
        PUBLICITY = "publicity", _("公示中")
        APPROVED = "approved", _("已审批")
        EXPORTED = "exported", _("已导出")
        PAID = "paid", _("已发放")

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField(_("批次号"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PUBLICITY
    )
    publicity_from = models.DateField(_("公示开始"))
    publicity_until = models.DateField(_("公示截止（含）"))
    declared_count = models.PositiveIntegerField(_("笔数"))
    declared_amount = models.DecimalField(_("金额合计（元）"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制单人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="paymentbatch_number"),
            models.CheckConstraint(
                condition=Q(publicity_until__gte=F("publicity_from")),
                name="paymentbatch_publicity_range",
            ),
            models.CheckConstraint(
                condition=Q(status="publicity") | Q(approved_by__isnull=False),
                name="paymentbatch_approved_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="paymentbatch_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} #{self.number}"


class Recovery(BaseModel):
    """A proposed or decided recovery (追回) of a paid line later found ineligible."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        CONFIRMED = "confirmed", _("已确认追回")
        RECOVERED = "recovered", _("已追回")
        WAIVED = "waived", _("不予追回")

    line = models.ForeignKey(
        ClaimLine, verbose_name=_("补贴明细"), on_delete=models.PROTECT, related_name="recoveries"
    )
    reasons = ArrayField(models.CharField(max_length=40), verbose_name=_("原因"), default=list)
    amount = models.DecimalField(_("追回金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    note = models.TextField(_("说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("追回记录")
        verbose_name_plural = _("追回记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=~Q(status="waived"),
                name="recovery_one_live_per_line",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.amount}"


class EmploymentBase(BaseModel):
    """
    An employer recognised by a city or the province as a 妈妈岗 employment
    base (就业基地) for one year (DOMAIN.md §2.6). A renewal is a new row with
    the next `year`: awards are capped by the year of recognition (Zhuhai:
    at most 200,000 CNY in the first year, 100,000 in the second), read from
    the recognising region's employment-base-award policy.
    """

    class Level(models.TextChoices):
        CITY = "city", _("市级")
        PROVINCE = "province", _("省级")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已撤销")

    employer = models.ForeignKey(
        "employers.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="employment_bases",
    )
    # The recognising authority: a city, or the province.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("认定地区"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("认定年度（第几年）"))
    name = models.CharField(_("基地名称"), max_length=120)
    document_number = models.CharField(_("认定文号"), max_length=120)
    valid_from = models.DateField(_("认定起始日"))
    valid_until = models.DateField(_("认定截止日（不含）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    revoked_reason = models.TextField(_("撤销原因"), blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    recognised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("妈妈岗就业基地")
        verbose_name_plural = _("妈妈岗就业基地")
        ordering = ["-valid_from", "-pk"]
        permissions = [("recognise_employmentbase", _("认定就业基地、核定基地奖补"))]
        constraints = [
            ExclusionConstraint(
                name="employmentbase_no_overlap",
                expressions=[
                    (F("employer"), RangeOperators.EQUAL),
                    (F("region"), RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_until"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="active"),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="employmentbase_valid_range"
            ),
            models.CheckConstraint(condition=Q(year__gte=1), name="employmentbase_year"),
            models.CheckConstraint(
                condition=Q(status="active") | Q(revoked_at__isnull=False),
                name="employmentbase_revoked_at",
            ),
        ]
        indexes = [models.Index(fields=["region", "status", "valid_from"])]

    def __str__(self) -> str:
        return self.name


class BaseAward(BaseModel):
    """
    An award (奖补) to an employment base for its year of recognition. Its
    amount counts against that year's cap from the moment it is proposed
    (so two proposals cannot together pass it); a rejected one frees it.
    Whoever proposed an award cannot approve it (database).
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")
        PAID = "paid", _("已发放")

    base = models.ForeignKey(
        EmploymentBase, verbose_name=_("就业基地"), on_delete=models.PROTECT, related_name="awards"
    )
    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("补贴政策"), on_delete=models.PROTECT, related_name="+"
    )
    rate_row = models.ForeignKey(
        RateRow, verbose_name=_("适用标准"), on_delete=models.PROTECT, related_name="+"
    )
    cap = models.DecimalField(_("当年上限（元）"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("奖补金额（元）"), max_digits=12, decimal_places=2)
    basis = models.TextField(_("核定依据"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放登记人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("基地奖补")
        verbose_name_plural = _("基地奖补")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="baseaward_amount_positive"),
            models.CheckConstraint(condition=Q(amount__lte=F("cap")), name="baseaward_within_cap"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="baseaward_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_by__isnull=False),
                name="baseaward_decided_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="baseaward_paid_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.base_id} {self.amount}"
