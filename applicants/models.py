"""
The people the programme exists for. Their data is the most sensitive in
the portal (PIPL Arts. 28-31, DOMAIN.md §7): the ID number is stored only
encrypted, with a keyed hash for uniqueness and look-up and a masked copy
for display; children are kept to birth year and month, relationship and
evidence, never a name or ID number; consents are dated and versioned.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamagang.core.models import BaseModel


class Applicant(BaseModel):
    class Category(models.TextChoices):
        # DOMAIN.md §1.4: which categories count is a per-region policy.
        MOTHER = "mother", _("抚育儿童的妇女")
        OTHER_CAREGIVER_CHILD = "other_caregiver_child", _("其他抚育儿童的照护者")
        CAREGIVER_DISABLED_ELDERLY = "caregiver_disabled_elderly", _("照护失能老人")
        CAREGIVER_DISABLED = "caregiver_disabled", _("照护残疾人")

    class RetirementCategory(models.TextChoices):
        F50 = "F50", _("女职工（原50岁退休）")
        F55 = "F55", _("女干部（原55岁退休）")
        M60 = "M60", _("男职工（原60岁退休）")
        UNKNOWN = "", _("不清楚")

    class Education(models.TextChoices):
        PRIMARY = "primary", _("小学及以下")
        JUNIOR_HIGH = "junior_high", _("初中")
        SENIOR_HIGH = "senior_high", _("高中/中专")
        COLLEGE = "college", _("大专")
        BACHELOR = "bachelor", _("本科")
        POSTGRADUATE = "postgraduate", _("研究生")

    class CareDuty(models.TextChoices):
        ELDERLY = "elderly", _("照护老人")
        DISABLED_ELDERLY = "disabled_elderly", _("照护失能老人")
        DISABLED = "disabled", _("照护残疾人")
        SICK = "sick", _("照护患病家人")

    class TrainingNeed(models.TextChoices):
        # The Zoucheng survey's training options (seed).
        LIVE_STREAMING = "live_streaming", _("电商直播")
        MATERNAL_INFANT = "maternal_infant_care", _("母婴护理")
        HANDICRAFTS = "handicrafts", _("手工编织")
        HOUSEKEEPING = "housekeeping", _("家政服务")
        OTHER = "other", _("其他")

    class Eligibility(models.TextChoices):
        UNKNOWN = "unknown", _("未核查")
        ELIGIBLE = "eligible", _("符合条件")
        INELIGIBLE = "ineligible", _("不符合条件")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="applicant",
    )
    full_name = models.CharField(_("姓名"), max_length=50)
    category = models.CharField(
        _("人员类别"), max_length=32, choices=Category.choices, default=Category.MOTHER
    )
    retirement_category = models.CharField(
        _("退休年龄类别"), max_length=3, choices=RetirementCategory.choices, blank=True
    )
    # The clear ID number never reaches the database.
    id_number_encrypted = models.TextField(_("身份证号码（密文）"), editable=False)
    id_number_hash = models.CharField(
        _("身份证号码摘要"), max_length=64, unique=True, editable=False
    )
    id_number_masked = models.CharField(_("身份证号码（脱敏）"), max_length=18, editable=False)
    birth_date = models.DateField(_("出生日期"))
    residence_district = models.ForeignKey(
        "regions.Region", verbose_name=_("居住区县"), on_delete=models.PROTECT, related_name="+"
    )
    residence_street = models.ForeignKey(
        "regions.Region",
        verbose_name=_("居住街道/乡镇"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    # Personal (the survey's first area); the phone is the account's.
    education = models.CharField(_("学历"), max_length=16, choices=Education.choices, blank=True)
    skills = ArrayField(
        models.CharField(max_length=30), verbose_name=_("技能"), default=list, blank=True, size=20
    )
    certificates = ArrayField(
        models.CharField(max_length=50),
        verbose_name=_("证书"),
        default=list,
        blank=True,
        size=20,
    )
    # Family: children are rows of Child; other care duties here.
    care_duties = ArrayField(
        models.CharField(max_length=20, choices=CareDuty.choices),
        verbose_name=_("其他照护责任"),
        default=list,
        blank=True,
    )
    # Intended employment mode; values are the jobs app's choices.
    intended_post_modes = ArrayField(
        models.CharField(max_length=32),
        verbose_name=_("意向妈妈岗类型"),
        default=list,
        blank=True,
    )
    intended_location_modes = ArrayField(
        models.CharField(max_length=16),
        verbose_name=_("意向工作地点"),
        default=list,
        blank=True,
    )
    intended_employment_forms = ArrayField(
        models.CharField(max_length=32),
        verbose_name=_("意向用工形式"),
        default=list,
        blank=True,
    )
    hours_per_week = models.PositiveSmallIntegerField(_("每周可工作小时"), null=True, blank=True)
    # Intended fields (the employers app's sectors).
    intended_sectors = ArrayField(
        models.CharField(max_length=32), verbose_name=_("意向行业"), default=list, blank=True
    )
    training_needs = ArrayField(
        models.CharField(max_length=32, choices=TrainingNeed.choices),
        verbose_name=_("培训需求"),
        default=list,
        blank=True,
    )
    training_other = models.CharField(_("其他培训需求"), max_length=100, blank=True)

    # Derived from birth date and retirement category (the earlier, 50-year date when the
    # category is unknown), so set-based checks (the subsidy engine) can read it in SQL.
    retirement_on = models.DateField(_("法定退休日期"), null=True, blank=True, editable=False)
    # When she withdrew the consent for her children's records or removed a child's
    # record: lines decided before keep their decision, later ones wait for review with
    # `evidence_withdrawn` (applicants.rules), and no recovery is ever proposed for it.
    evidence_withdrawn_at = models.DateTimeField(
        _("撤回子女信息时间"), null=True, blank=True, editable=False
    )

    # Eligibility as of the last daily re-check (applicants.recheck), with reason codes.
    eligibility = models.CharField(
        _("资格"), max_length=12, choices=Eligibility.choices, default=Eligibility.UNKNOWN
    )
    eligibility_reasons = ArrayField(
        models.CharField(max_length=40), verbose_name=_("不符合原因"), default=list, blank=True
    )
    eligible_until = models.DateField(_("资格截止（不含）"), null=True, blank=True)
    eligibility_checked_on = models.DateField(_("资格核查日期"), null=True, blank=True)
    # The eligible_until date she (and her employers) were warned about; never twice.
    eligibility_warned_until = models.DateField(_("已提醒的截止日期"), null=True, blank=True)

    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("求职者")
        verbose_name_plural = _("求职者")
        permissions = [("unmask_applicant", "Can see an applicant's full ID number, with a reason")]
        indexes = [
            models.Index(fields=["residence_district"], name="applicant_district_idx"),
            models.Index(fields=["eligible_until"], name="applicant_eligible_until_idx"),
            models.Index(fields=["full_name"], name="applicant_full_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_number_masked})"

    def save(self, *args, **kwargs):
        from .eligibility import earliest_retirement

        if self.birth_date:
            self.retirement_on = earliest_retirement(self.birth_date, self.retirement_category)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and {"birth_date", "retirement_category"} & set(
                update_fields
            ):
                kwargs["update_fields"] = [*update_fields, "retirement_on"]
        super().save(*args, **kwargs)


class Child(BaseModel):
    """The minimum needed to show a child-rearing duty (DOMAIN.md §7.4)."""

    class Relationship(models.TextChoices):
        PARENT = "parent", _("父母")
        ADOPTIVE_PARENT = "adoptive_parent", _("养父母")
        STEP_PARENT = "step_parent", _("继父母")
        GUARDIAN = "guardian", _("监护人")

    class Evidence(models.TextChoices):
        BIRTH_CERTIFICATE = "birth_certificate", _("出生医学证明")
        HOUSEHOLD_REGISTER = "household_register", _("户口簿")
        ADOPTION = "adoption", _("收养登记证")
        GUARDIANSHIP = "guardianship", _("监护证明")

    applicant = models.ForeignKey(
        Applicant, verbose_name=_("求职者"), on_delete=models.CASCADE, related_name="children"
    )
    birth_year = models.PositiveSmallIntegerField(_("出生年"))
    birth_month = models.PositiveSmallIntegerField(_("出生月"))
    relationship = models.CharField(_("关系"), max_length=32, choices=Relationship.choices)
    evidence = models.CharField(_("证明材料"), max_length=32, choices=Evidence.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("子女")
        verbose_name_plural = _("子女")
        permissions = [("verify_child", "Can verify children's evidence")]
        ordering = ["applicant", "birth_year", "birth_month"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="child_unverified_idx",
                condition=Q(verified_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_month__gte=1, birth_month__lte=12), name="child_birth_month"
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True, verified_at__isnull=True)
                | Q(verified_by__isnull=False, verified_at__isnull=False),
                name="child_verification_attributed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.birth_year}-{self.birth_month:02d}"


class Consent(models.Model):
    """A dated, versioned consent (PIPL Art. 29 separate consent, Art. 31 guardian consent)."""

    class Kind(models.TextChoices):
        SENSITIVE_DATA = "sensitive_data", _("单独同意处理敏感个人信息（身份证号码）")
        GUARDIAN_CHILDREN = "guardian_children", _("监护人同意处理子女信息")
        EMPLOYMENT_REGISTRATION = (
            "employment_registration",
            _("同意用人单位凭身份证号码为我办理就业登记"),
        )

    applicant = models.ForeignKey(
        Applicant, verbose_name=_("求职者"), on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    text_version = models.CharField(_("告知文本版本"), max_length=20)
    given_at = models.DateTimeField(_("同意时间"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("同意记录")
        verbose_name_plural = _("同意记录")
        ordering = ["applicant", "-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "kind"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.text_version}"


class FreeWindow(models.Model):
    """A weekly window in which she can work, minutes after midnight, end exclusive."""

    applicant = models.ForeignKey(
        Applicant, verbose_name=_("求职者"), on_delete=models.CASCADE, related_name="free_windows"
    )
    weekday = models.PositiveSmallIntegerField(_("星期"))
    start_minute = models.PositiveSmallIntegerField(_("开始（分钟）"))
    end_minute = models.PositiveSmallIntegerField(_("结束（分钟）"))

    class Meta:
        verbose_name = _("可工作时间段")
        verbose_name_plural = _("可工作时间段")
        ordering = ["applicant", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6)
                & Q(start_minute__gte=0)
                & Q(end_minute__gt=F("start_minute"))
                & Q(end_minute__lte=24 * 60),
                name="freewindow_valid_interval",
            ),
        ]
        indexes = [models.Index(fields=["applicant", "weekday"], name="freewindow_applicant_idx")]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_minute}-{self.end_minute}"


class WorkExperience(models.Model):
    """One line of her work history."""

    applicant = models.ForeignKey(
        Applicant, verbose_name=_("求职者"), on_delete=models.CASCADE, related_name="experiences"
    )
    organisation = models.CharField(_("单位"), max_length=100)
    role = models.CharField(_("岗位"), max_length=50)
    start_year = models.PositiveSmallIntegerField(_("开始年份"))
    end_year = models.PositiveSmallIntegerField(_("结束年份"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作经历")
        verbose_name_plural = _("工作经历")
        ordering = ["applicant", "-start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(end_year__gte=F("start_year")),
                name="workexperience_years",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.role}"


class EligibilityPolicy(BaseModel):
    """
    Who counts in a region from a date (DOMAIN.md §1.3, §1.4): the child age
    limit and its reading, and the admitted categories. The policy of a
    region on a day is the latest row valid on it, a district's row before
    its city's before its province's; without any, the national default.
    """

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("生效日期"))
    child_age_limit = models.PositiveSmallIntegerField(_("子女年龄上限（周岁）"), default=12)
    child_age_inclusive = models.BooleanField(
        _("含上限年龄"),
        default=True,
        help_text=_("“12周岁以下”含12周岁（民法典第1259条）：满13周岁前均符合。"),
    )
    admitted_categories = ArrayField(
        models.CharField(max_length=32, choices=Applicant.Category.choices),
        verbose_name=_("适用人员类别"),
        default=list,
    )
    require_verified_evidence = models.BooleanField(_("子女证明须经核验"), default=True)
    legal_reference = models.CharField(_("政策依据"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("资格政策")
        verbose_name_plural = _("资格政策")
        ordering = ["region", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "valid_from"], name="eligibilitypolicy_unique"
            ),
            models.CheckConstraint(
                condition=Q(child_age_limit__gte=1, child_age_limit__lte=18),
                name="eligibilitypolicy_child_age_range",
            ),
            models.CheckConstraint(
                condition=~Q(admitted_categories=[]), name="eligibilitypolicy_has_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.valid_from}"


class Application(BaseModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已投递")
        VIEWED = "viewed", _("已查看")
        INTERVIEW = "interview", _("邀请面试")
        OFFERED = "offered", _("已录用待入职")
        HIRED = "hired", _("已入职")
        REJECTED = "rejected", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="applications"
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("求职者"), on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    message = models.TextField(_("留言"), blank=True, max_length=1000)
    # The weekly windows she offers: [[weekday, start minute, end minute], ...].
    offered_windows = models.JSONField(_("可工作时间段"), default=list, blank=True)
    interview_at = models.DateTimeField(_("面试时间"), null=True, blank=True)
    interview_place = models.CharField(_("面试地点"), max_length=200, blank=True)
    reject_reason = models.TextField(_("未通过原因"), blank=True, max_length=1000)
    submitted_at = models.DateTimeField(_("投递时间"))
    status_changed_at = models.DateTimeField(_("状态变更时间"))

    class Meta:
        verbose_name = _("求职申请")
        verbose_name_plural = _("求职申请")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # One live application per post and person; she may apply again after withdrawing.
            models.UniqueConstraint(
                fields=["job", "applicant"],
                condition=~Q(status="withdrawn"),
                name="application_one_live_per_job",
            ),
            models.CheckConstraint(
                condition=~Q(status="interview") | Q(interview_at__isnull=False),
                name="application_interview_scheduled",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="application_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["job", "status"], name="application_job_status_idx"),
            models.Index(fields=["applicant", "-submitted_at"], name="application_applicant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} → {self.job_id} ({self.status})"


class ApplicationEvent(models.Model):
    """One status change of an application; both sides read this history."""

    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="events"
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
    note = models.TextField(_("说明"), blank=True)
    occurred_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("申请状态变更")
        verbose_name_plural = _("申请状态变更")
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class Employment(BaseModel):
    """
    Employment registration (就业登记) with the 妈妈岗 declaration
    (DOMAIN.md §2.4). One person may hold several part-time employments.
    """

    class Source(models.TextChoices):
        APPLICATION = "application", _("平台招聘")
        OFFLINE = "offline", _("线下招用登记")

    class EndReason(models.TextChoices):
        CONTRACT_EXPIRED = "contract_expired", _("合同期满")
        RESIGNED = "resigned", _("本人辞职")
        DISMISSED = "dismissed", _("单位解除")
        MUTUAL = "mutual", _("协商解除")
        RETIRED = "retired", _("退休")
        OTHER = "other", _("其他")

    employer = models.ForeignKey(
        "employers.Employer",
        verbose_name=_("用人单位"),
        on_delete=models.PROTECT,
        related_name="employments",
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("劳动者"), on_delete=models.PROTECT, related_name="employments"
    )
    job = models.ForeignKey(
        "jobs.Job",
        verbose_name=_("岗位"),
        on_delete=models.PROTECT,
        related_name="employments",
        null=True,
        blank=True,
    )
    application = models.OneToOneField(
        Application,
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="employment",
        null=True,
        blank=True,
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    start_date = models.DateField(_("入职日期"))
    end_date = models.DateField(_("离职日期"), null=True, blank=True)
    employment_form = models.CharField(_("用工形式"), max_length=32)
    has_labour_contract = models.BooleanField(_("签订劳动合同"), default=False)
    contract_months = models.PositiveSmallIntegerField(_("合同期限（月）"), null=True, blank=True)
    social_insurance = models.BooleanField(_("缴纳社会保险"), default=False)
    declared_mamagang = models.BooleanField(_("申明为妈妈岗"), default=False)
    declared_at = models.DateTimeField(_("申明时间"), null=True, blank=True)
    end_reason = models.CharField(
        _("离职原因"), max_length=20, choices=EndReason.choices, blank=True
    )
    end_note = models.CharField(_("离职说明"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("终止登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("就业登记")
        verbose_name_plural = _("就业登记")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="employment_dates",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | ~Q(end_reason=""),
                name="employment_end_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(declared_mamagang=True) | Q(declared_at__isnull=False),
                name="employment_declaration_dated",
            ),
            models.CheckConstraint(
                condition=Q(has_labour_contract=True) | Q(contract_months__isnull=True),
                name="employment_contract_months_need_contract",
            ),
            models.CheckConstraint(
                condition=~Q(source="application") | Q(application__isnull=False),
                name="employment_application_source",
            ),
            models.UniqueConstraint(
                fields=["employer", "applicant", "start_date"], name="employment_unique_start"
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "end_date"], name="employment_employer_idx"),
            models.Index(fields=["applicant", "end_date"], name="employment_applicant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} @ {self.employer_id} from {self.start_date}"


class SavedSearch(BaseModel):
    """A job search she saved, with a daily or weekly digest of new posts."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("每天")
        WEEKLY = "weekly", _("每周")
        NEVER = "never", _("不发送")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="saved_searches",
    )
    name = models.CharField(_("名称"), max_length=50)
    # The search's query string as on /jobs/ (validated by jobs.filters.JobFilter).
    query = models.CharField(_("搜索条件"), max_length=500)
    frequency = models.CharField(
        _("提醒频率"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY
    )
    # Posts published after this moment are "new" for the next digest.
    last_sent_at = models.DateTimeField(_("上次发送"))

    class Meta:
        verbose_name = _("保存的搜索")
        verbose_name_plural = _("保存的搜索")
        ordering = ["user", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "query"], name="savedsearch_unique_query"),
        ]
        indexes = [models.Index(fields=["frequency", "last_sent_at"], name="savedsearch_due_idx")]

    def __str__(self) -> str:
        return self.name
