"""Users log in with a mainland mobile number; roles are groups with permissions."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamagang.core.models import BaseModel
from mamagang.core.validators import validate_mainland_mobile

from .managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(
        _("手机号"),
        max_length=11,
        unique=True,
        validators=[validate_mainland_mobile],
        error_messages={"unique": _("该手机号已注册账户。")},
    )
    display_name = models.CharField(_("称呼"), max_length=50)
    email = models.EmailField(
        _("电子邮箱"),
        blank=True,
        help_text=_("用于重置密码和接收通知。"),
    )
    is_active = models.BooleanField(_("有效"), default=True)
    is_staff = models.BooleanField(
        _("管理后台权限"),
        default=False,
        help_text=_("是否可以登录技术管理后台。"),
    )
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        permissions = [
            ("use_applicant_area", "Can use the job seeker's area"),
            ("use_employer_workspace", "Can use the employer workspace"),
            ("use_staff_workspace", "Can use the bureau staff workspace"),
            ("manage_staff_scopes", "Can grant and revoke staff region scopes"),
        ]
        constraints = [
            # A closed account's number is replaced by "d" and its id (applicant_anonymise).
            models.CheckConstraint(
                condition=models.Q(phone__regex=r"^1[3-9][0-9]{9}$")
                | models.Q(is_active=False, phone__regex=r"^d[0-9]{10}$"),
                name="user_phone_mainland_mobile",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("该电子邮箱已注册账户。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.masked_phone})"

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) == 11 else self.phone

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class StaffRegionScope(BaseModel):
    """
    A region a bureau user may act on. A city scope covers all its districts
    and streets; a district scope covers its streets.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="region_scopes",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("工作人员辖区")
        verbose_name_plural = _("工作人员辖区")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="staffregionscope_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.region_id}"
