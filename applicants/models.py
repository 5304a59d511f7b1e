"""
The people the programme exists for. Their data is the most sensitive in
the portal (PIPL Arts. 28-31, DOMAIN.md §7): the ID number is stored only
encrypted, with a keyed hash for uniqueness and look-up and a masked copy
for display; children are kept to birth year and month, relationship and
evidence, never a name or ID number; consents are dated and versioned.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
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

    class Meta:
        verbose_name = _("求职者")
        verbose_name_plural = _("求职者")
        permissions = [("unmask_applicant", "Can see an applicant's full ID number, with a reason")]
        indexes = [models.Index(fields=["residence_district"], name="applicant_district_idx")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_number_masked})"


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
