"""
REST API of the applicants app (/api/v1/): a mother's own profile,
children, eligibility and applications (/me/...), and for employers'
members the applications to their posts and their employment
registrations (/employer/...). Reads go through `selectors_api.py`, writes
through one service each; DomainError and ValidationError become 400 with
their code in `mamagang.core.api.exception_handler`.

"Not yours" and "does not exist" are the same 404. No response carries a
full ID number.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from employers.models import Employer
from employers.selectors import employer_list_for_member
from jobs.models import Job
from mamagang.core.exceptions import DomainError
from mamagang.core.identifiers import validate_resident_id
from mamagang.regions.models import Region

from .models import Applicant, Application, Child, Employment
from .selectors import applicant_eligibility
from .selectors_api import (
    applicant_get_for_user,
    applicant_profile_get_for_user,
    application_get_for_applicant,
    application_get_for_member,
    application_list_for_applicant,
    application_list_for_member,
    child_list_for_applicant,
    employment_get_for_member,
    employment_list_for_member,
)
from .serializers import (
    ChildSerializer,
    CodeField,
    EligibilitySerializer,
    EmployerApplicationDetailSerializer,
    EmployerApplicationSerializer,
    EmploymentSerializer,
    MyApplicationDetailSerializer,
    MyApplicationSerializer,
    ProfileSerializer,
    RegionCodeField,
    WindowInputSerializer,
    WindowSerializer,
    windows_from_input,
)
from .services import (
    applicant_free_windows_set,
    applicant_intentions_update,
    applicant_personal_update,
    applicant_profile_create,
    application_hire,
    application_invite_interview,
    application_mark_viewed,
    application_offer,
    application_reject,
    application_submit,
    application_withdraw,
    child_add,
    child_remove,
    employment_end,
    employment_register_offline,
)
from .services.profile import INTENTION_FIELDS, PERSONAL_FIELDS

# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------


class UsesApplicantArea(BasePermission):
    message = _("只有求职者账号可以使用此功能。")

    def has_permission(self, request, view):
        return request.user.has_perm("accounts.use_applicant_area")


class UsesEmployerWorkspace(BasePermission):
    message = _("只有用人单位账号可以使用此功能。")

    def has_permission(self, request, view):
        return request.user.has_perm("accounts.use_employer_workspace")


def _id_number_checked(value: str) -> str:
    """Return the normalised ID number; the error never repeats the number."""
    return validate_resident_id(value, today=timezone.localdate())


# ---------------------------------------------------------------------------
# Her own area
# ---------------------------------------------------------------------------


class _MyApi(APIView):
    """Base of the APIs on her own profile: 404 until she has created it."""

    permission_classes = [IsAuthenticated, UsesApplicantArea]

    def get_applicant(self) -> Applicant:
        applicant = applicant_get_for_user(user=self.request.user)
        if applicant is None:
            raise NotFound(_("您还没有求职者档案，请先创建。"))
        return applicant

    def profile_response(self, *, status_code: int = status.HTTP_200_OK) -> Response:
        applicant = applicant_profile_get_for_user(user=self.request.user)
        if applicant is None:
            raise NotFound(_("您还没有求职者档案，请先创建。"))
        return Response(ProfileSerializer(applicant).data, status=status_code)


def _list_of(choices: Any, what: Any, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=CodeField(choices=choices, what=what), required=False, **kwargs
    )


class ProfileApi(_MyApi):
    """
    Her profile: read it (the ID number masked), create it once with the
    ID number and the separate consent, or change the personal and
    intention fields (a field left out keeps its value).
    """

    class CreateInputSerializer(serializers.Serializer):
        full_name = serializers.CharField(max_length=50)
        id_number = serializers.CharField(max_length=30, help_text=_("18位居民身份证号码"))
        residence_district = RegionCodeField(
            level=Region.Level.DISTRICT, help_text=_("居住区县6位代码")
        )
        residence_street = RegionCodeField(
            level=Region.Level.STREET,
            required=False,
            allow_null=True,
            default=None,
            help_text=_("居住街道9位代码"),
        )
        category = CodeField(
            choices=Applicant.Category.choices,
            what=_("人员类别"),
            default=Applicant.Category.MOTHER,
        )
        retirement_category = CodeField(
            choices=Applicant.RetirementCategory.choices,
            what=_("退休年龄类别（空为不清楚）"),
            allow_blank=True,
            default="",
        )
        # Left to the service to require, so the answer carries its code.
        sensitive_data_consent = serializers.BooleanField(
            default=False, help_text=_("单独同意处理敏感个人信息（身份证号码），必须为 true")
        )

        class Meta:
            ref_name = "ApplicantProfileCreateInput"

        def validate_id_number(self, value: str) -> str:
            return _id_number_checked(value)

    class UpdateInputSerializer(serializers.Serializer):
        # Personal area.
        full_name = serializers.CharField(max_length=50, required=False)
        category = CodeField(choices=Applicant.Category.choices, what=_("人员类别"), required=False)
        retirement_category = CodeField(
            choices=Applicant.RetirementCategory.choices,
            what=_("退休年龄类别（空为不清楚）"),
            allow_blank=True,
            required=False,
        )
        residence_district = RegionCodeField(
            level=Region.Level.DISTRICT, required=False, help_text=_("居住区县6位代码")
        )
        residence_street = RegionCodeField(
            level=Region.Level.STREET,
            required=False,
            allow_null=True,
            help_text=_("居住街道9位代码；null 清除"),
        )
        education = CodeField(
            choices=Applicant.Education.choices,
            what=_("学历"),
            allow_blank=True,
            required=False,
        )
        skills = serializers.ListField(
            child=serializers.CharField(max_length=30), max_length=20, required=False
        )
        certificates = serializers.ListField(
            child=serializers.CharField(max_length=50), max_length=20, required=False
        )
        care_duties = _list_of(Applicant.CareDuty.choices, _("其他照护责任"))
        # Intentions.
        intended_post_modes = _list_of(Job.PostMode.choices, _("意向妈妈岗类型"))
        intended_location_modes = _list_of(Job.LocationMode.choices, _("意向工作地点"))
        intended_employment_forms = _list_of(Job.EmploymentForm.choices, _("意向用工形式"))
        hours_per_week = serializers.IntegerField(
            min_value=1, max_value=84, allow_null=True, required=False
        )
        intended_sectors = _list_of(Employer.Sector.choices, _("意向行业"))
        training_needs = _list_of(Applicant.TrainingNeed.choices, _("培训需求"))
        training_other = serializers.CharField(max_length=100, allow_blank=True, required=False)

        class Meta:
            ref_name = "ApplicantProfileUpdateInput"

    @extend_schema(responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return self.profile_response()

    @extend_schema(request=CreateInputSerializer, responses={201: ProfileSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if Applicant.objects.filter(user=request.user).exists():
            raise DomainError(
                _("您已经创建过求职者档案，可以直接修改。"), code="applicant_profile_exists"
            )
        applicant_profile_create(user=request.user, **serializer.validated_data)
        return self.profile_response(status_code=status.HTTP_201_CREATED)

    @extend_schema(request=UpdateInputSerializer, responses=ProfileSerializer)
    def patch(self, request: Request) -> Response:
        applicant = self.get_applicant()
        serializer = self.UpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        personal = {key: data[key] for key in PERSONAL_FIELDS if key in data}
        intentions = {key: data[key] for key in INTENTION_FIELDS if key in data}
        # Both areas or neither: a refused intention leaves the personal change unsaved.
        with transaction.atomic():
            if personal:
                applicant_personal_update(applicant=applicant, updated_by=request.user, **personal)
            if intentions:
                applicant_intentions_update(
                    applicant=applicant, updated_by=request.user, **intentions
                )
        return self.profile_response()


class FreeWindowsSetApi(_MyApi):
    """Replace her weekly free windows with the list given (an empty list clears them)."""

    @extend_schema(request=WindowInputSerializer(many=True), responses=WindowSerializer(many=True))
    def put(self, request: Request) -> Response:
        applicant = self.get_applicant()
        serializer = WindowInputSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        rows = applicant_free_windows_set(
            applicant=applicant,
            updated_by=request.user,
            windows=windows_from_input(serializer.validated_data),
        )
        rows = sorted(rows, key=lambda w: (w.weekday, w.start_minute))
        return Response(WindowSerializer(rows, many=True).data)


class ChildListApi(_MyApi, ListAPIView):
    """Her children's records (no names, no ID numbers); add one with the guardian consent."""

    serializer_class = ChildSerializer
    pagination_class = None  # a handful at most

    class InputSerializer(serializers.Serializer):
        birth_year = serializers.IntegerField(min_value=1990, max_value=2100)
        birth_month = serializers.IntegerField(min_value=1, max_value=12)
        relationship = CodeField(choices=Child.Relationship.choices, what=_("关系"))
        evidence = CodeField(choices=Child.Evidence.choices, what=_("证明材料"))
        # Left to the service to require, so the answer carries its code.
        guardian_consent = serializers.BooleanField(
            default=False, help_text=_("以监护人身份同意处理子女信息，必须为 true")
        )

        class Meta:
            ref_name = "ApplicantChildInput"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Child.objects.none()
        return child_list_for_applicant(applicant=self.get_applicant())

    @extend_schema(request=InputSerializer, responses={201: ChildSerializer})
    def post(self, request: Request) -> Response:
        applicant = self.get_applicant()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        child = child_add(applicant=applicant, added_by=request.user, **serializer.validated_data)
        return Response(ChildSerializer(child).data, status=status.HTTP_201_CREATED)


class ChildRemoveApi(_MyApi):
    """Delete one of her children's records."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, child_id: int) -> Response:
        applicant = self.get_applicant()
        try:
            child = child_list_for_applicant(applicant=applicant).get(pk=child_id)
        except Child.DoesNotExist:
            raise Http404 from None
        child_remove(child=child, removed_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EligibilityApi(_MyApi):
    """Whether she qualifies today under her district's policy, why not, and until when."""

    @extend_schema(responses=EligibilitySerializer)
    def get(self, request: Request) -> Response:
        result = applicant_eligibility(applicant=self.get_applicant(), on=timezone.localdate())
        return Response(EligibilitySerializer(result).data)


class MyApplicationListApi(_MyApi, ListAPIView):
    """Her applications, newest first; apply to a post (one live application per post)."""

    serializer_class = MyApplicationSerializer

    class InputSerializer(serializers.Serializer):
        job = serializers.PrimaryKeyRelatedField(
            queryset=Job.objects.all(), help_text=_("岗位编号")
        )
        message = serializers.CharField(
            max_length=1000, allow_blank=True, required=False, default=""
        )
        offered_windows = WindowInputSerializer(
            many=True,
            required=False,
            help_text=_("她能工作的每周时间段；不填则用档案中的可工作时间"),
        )

        class Meta:
            ref_name = "ApplicationSubmitInput"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Application.objects.none()
        return application_list_for_applicant(applicant=self.get_applicant())

    @extend_schema(request=InputSerializer, responses={201: MyApplicationDetailSerializer})
    def post(self, request: Request) -> Response:
        applicant = self.get_applicant()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        offered = data.get("offered_windows")
        application = application_submit(
            applicant=applicant,
            job=data["job"],
            message=data["message"],
            offered_windows=None if offered is None else windows_from_input(offered),
        )
        application = application_get_for_applicant(applicant=applicant, pk=application.pk)
        return Response(
            MyApplicationDetailSerializer(application).data, status=status.HTTP_201_CREATED
        )


class _MyApplicationApi(_MyApi):
    def get_application(self, application_id: int) -> Application:
        try:
            return application_get_for_applicant(applicant=self.get_applicant(), pk=application_id)
        except Application.DoesNotExist:
            raise Http404 from None


class MyApplicationDetailApi(_MyApplicationApi):
    """One of her applications with what she sent and its history."""

    @extend_schema(responses=MyApplicationDetailSerializer)
    def get(self, request: Request, application_id: int) -> Response:
        return Response(MyApplicationDetailSerializer(self.get_application(application_id)).data)


class MyApplicationWithdrawApi(_MyApplicationApi):
    """Withdraw one of her live applications."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")

        class Meta:
            ref_name = "ApplicationWithdrawInput"

    @extend_schema(request=InputSerializer, responses=MyApplicationDetailSerializer)
    def post(self, request: Request, application_id: int) -> Response:
        application = self.get_application(application_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application_withdraw(
            application=application, by=request.user, note=serializer.validated_data["note"]
        )
        return Response(MyApplicationDetailSerializer(self.get_application(application_id)).data)


# ---------------------------------------------------------------------------
# Employers' members
# ---------------------------------------------------------------------------


class EmployerApplicationFilter(django_filters.FilterSet):
    employer = django_filters.NumberFilter(field_name="job__employer_id", label=_("单位编号"))
    job = django_filters.NumberFilter(field_name="job_id", label=_("岗位编号"))
    status = django_filters.ChoiceFilter(choices=Application.Status.choices, label=_("状态"))

    class Meta:
        model = Application
        fields: ClassVar[list[str]] = ["employer", "job", "status"]


class EmployerApplicationListApi(ListAPIView):
    """
    The applications to the posts of the employers the user belongs to,
    newest first: the person masked, with how well she fits the post.
    """

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]
    serializer_class = EmployerApplicationSerializer
    filterset_class = EmployerApplicationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Application.objects.none()
        return application_list_for_member(user=self.request.user)


class _EmployerApplicationApi(APIView):
    """Base of the APIs on one application to a post of the user's employers (else 404)."""

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]

    def get_application(self, application_id: int) -> Application:
        try:
            return application_get_for_member(user=self.request.user, pk=application_id)
        except Application.DoesNotExist:
            raise Http404 from None

    def application_response(self, application_id: int) -> Response:
        application = self.get_application(application_id)
        return Response(EmployerApplicationDetailSerializer(application).data)


class EmployerApplicationDetailApi(_EmployerApplicationApi):
    """One application with her message, offered windows and history; opening it marks it viewed."""

    @extend_schema(responses=EmployerApplicationDetailSerializer)
    def get(self, request: Request, application_id: int) -> Response:
        application = self.get_application(application_id)
        application_mark_viewed(application=application, by=request.user)
        return self.application_response(application_id)


class EmployerApplicationTransitionApi(_EmployerApplicationApi):
    """
    Move an application on: "interview" (needs `at` and `place`), "offer",
    "hire" (needs `start_date`; registers the employment with the post's
    terms unless given) or "reject" (needs `reason`, which she sees).
    """

    class InputSerializer(serializers.Serializer):
        action = CodeField(
            choices=[
                ("interview", _("邀请面试")),
                ("offer", _("录用")),
                ("hire", _("入职")),
                ("reject", _("不录用")),
            ],
            what=_("操作"),
        )
        note = serializers.CharField(max_length=1000, allow_blank=True, default="")
        # interview
        at = serializers.DateTimeField(required=False, help_text=_("面试时间（interview 必填）"))
        place = serializers.CharField(
            max_length=200,
            allow_blank=True,
            default="",
            help_text=_("面试地点或“电话面试”（interview 必填）"),
        )
        # reject; left to the service to require, so the answer carries its code.
        reason = serializers.CharField(
            max_length=1000,
            allow_blank=True,
            default="",
            help_text=_("未通过原因（reject 必填），求职者会看到"),
        )
        # hire
        start_date = serializers.DateField(required=False, help_text=_("入职日期（hire 必填）"))
        end_date = serializers.DateField(required=False, allow_null=True, default=None)
        employment_form = serializers.ChoiceField(
            choices=Job.EmploymentForm.choices, required=False, allow_null=True, default=None
        )
        has_labour_contract = serializers.BooleanField(
            required=False, allow_null=True, default=None
        )
        contract_months = serializers.IntegerField(
            min_value=1, max_value=32767, required=False, allow_null=True, default=None
        )
        social_insurance = serializers.BooleanField(required=False, allow_null=True, default=None)
        declared_mamagang = serializers.BooleanField(default=True, help_text=_("申明为妈妈岗"))

        class Meta:
            ref_name = "ApplicationTransitionInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            action = attrs["action"]
            if action == "interview" and attrs.get("at") is None:
                raise serializers.ValidationError({"at": _("请填写面试时间。")}, code="required")
            if action == "hire" and attrs.get("start_date") is None:
                raise serializers.ValidationError(
                    {"start_date": _("请填写入职日期。")}, code="required"
                )
            return attrs

    @extend_schema(request=InputSerializer, responses=EmployerApplicationDetailSerializer)
    def post(self, request: Request, application_id: int) -> Response:
        application = self.get_application(application_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        by = request.user
        action = data["action"]
        if action == "interview":
            application_invite_interview(
                application=application,
                by=by,
                at=data["at"],
                place=data["place"],
                note=data["note"],
            )
        elif action == "offer":
            application_offer(application=application, by=by, note=data["note"])
        elif action == "reject":
            application_reject(application=application, by=by, reason=data["reason"])
        else:
            application_hire(
                application=application,
                by=by,
                start_date=data["start_date"],
                end_date=data["end_date"],
                employment_form=data["employment_form"],
                has_labour_contract=data["has_labour_contract"],
                contract_months=data["contract_months"],
                social_insurance=data["social_insurance"],
                declared_mamagang=data["declared_mamagang"],
            )
        return self.application_response(application_id)


class EmploymentFilter(django_filters.FilterSet):
    employer = django_filters.NumberFilter(field_name="employer_id", label=_("单位编号"))

    class Meta:
        model = Employment
        fields: ClassVar[list[str]] = ["employer"]


class EmploymentListApi(ListAPIView):
    """
    The employment registrations of the user's employers, newest start
    first; register a hire made offline by the person's ID number (she must
    have consented on the portal).
    """

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]
    serializer_class = EmploymentSerializer
    filterset_class = EmploymentFilter

    class InputSerializer(serializers.Serializer):
        employer = serializers.IntegerField(help_text=_("单位编号（须是您所在的单位）"))
        id_number = serializers.CharField(max_length=30, help_text=_("劳动者的18位居民身份证号码"))
        job = serializers.IntegerField(
            required=False, allow_null=True, default=None, help_text=_("本单位的岗位编号（可不填）")
        )
        start_date = serializers.DateField()
        end_date = serializers.DateField(required=False, allow_null=True, default=None)
        employment_form = serializers.ChoiceField(choices=Job.EmploymentForm.choices)
        has_labour_contract = serializers.BooleanField(default=False)
        contract_months = serializers.IntegerField(
            min_value=1, max_value=32767, required=False, allow_null=True, default=None
        )
        social_insurance = serializers.BooleanField(default=False)
        declared_mamagang = serializers.BooleanField(default=True, help_text=_("申明为妈妈岗"))

        class Meta:
            ref_name = "EmploymentRegisterInput"

        def validate_id_number(self, value: str) -> str:
            return _id_number_checked(value)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Employment.objects.none()
        return employment_list_for_member(user=self.request.user)

    @extend_schema(request=InputSerializer, responses={201: EmploymentSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        employer = (
            employer_list_for_member(user=request.user).filter(pk=data.pop("employer")).first()
        )
        if employer is None:
            raise Http404
        job_id = data.pop("job")
        job = None
        if job_id is not None:
            job = Job.objects.filter(employer=employer, pk=job_id).first()
            if job is None:
                raise serializers.ValidationError(
                    {"job": [_("本单位没有这个岗位。")]}, code="invalid_job"
                )
        employment = employment_register_offline(
            employer=employer, registered_by=request.user, job=job, **data
        )
        employment = employment_get_for_member(user=request.user, pk=employment.pk)
        return Response(EmploymentSerializer(employment).data, status=status.HTTP_201_CREATED)


class EmploymentEndApi(APIView):
    """Record the end of an employment of one of the user's employers: last day and reason."""

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]

    class InputSerializer(serializers.Serializer):
        end_date = serializers.DateField(help_text=_("最后工作日"))
        reason = CodeField(choices=Employment.EndReason.choices, what=_("离职原因"))
        note = serializers.CharField(max_length=200, allow_blank=True, default="")

        class Meta:
            ref_name = "EmploymentEndInput"

    @extend_schema(request=InputSerializer, responses=EmploymentSerializer)
    def post(self, request: Request, employment_id: int) -> Response:
        try:
            employment = employment_get_for_member(user=request.user, pk=employment_id)
        except Employment.DoesNotExist:
            raise Http404 from None
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        employment_end(employment=employment, ended_by=request.user, **serializer.validated_data)
        employment = employment_get_for_member(user=request.user, pk=employment_id)
        return Response(EmploymentSerializer(employment).data)
