"""
REST API of the claimant side (/api/v1/): employers' members list, submit
and read their employers' claims (/employer/claims/); a flexible worker
lists and submits her own (/me/claims/). Reads go through
`selectors_claims.py`, writes through one service each; a DomainError
becomes 400 with its code (mamagang.core.api.exception_handler).

"Not yours" and "does not exist" are the same 404. People are masked.
"""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applicants.apis import UsesApplicantArea, UsesEmployerWorkspace
from applicants.models import Applicant
from applicants.selectors_api import applicant_get_for_user
from employers.selectors import employer_list_for_member

from .models import Claim
from .selectors_claims import claim_get_for_member, claim_list_for_applicant, claim_list_for_member
from .serializers_claims import ClaimDetailSerializer, ClaimSerializer, MonthField
from .services import claim_submit_for_employer, claim_submit_for_person


class ClaimEmployerFilter(django_filters.FilterSet):
    employer = django_filters.NumberFilter(field_name="employer_id", label=_("单位编号"))

    class Meta:
        model = Claim
        fields: ClassVar[list[str]] = ["employer"]


def _months_field() -> serializers.ListField:
    return serializers.ListField(
        child=MonthField(), min_length=1, max_length=24, help_text=_('申报月份，如 ["2026-09"]')
    )


class EmployerClaimListApi(ListAPIView):
    """
    The claims of the employers the user belongs to (or of one, with
    ?employer=<id>), newest first, with counts by decision and status and
    the eligible total. POST submits a claim for completed months, for all
    the employer's registered people in those months or only `applicants`;
    its lines are decided at once.
    """

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]
    serializer_class = ClaimSerializer
    filterset_class = ClaimEmployerFilter

    class InputSerializer(serializers.Serializer):
        employer = serializers.IntegerField(help_text=_("单位编号（须是您所在的单位）"))
        months = _months_field()
        applicants = serializers.ListField(
            child=serializers.IntegerField(),
            required=False,
            allow_null=True,
            default=None,
            help_text=_("只为这些人员申报（人员编号）；不填则为全部就业登记人员"),
        )

        class Meta:
            ref_name = "SubsidyEmployerClaimInput"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Claim.objects.none()
        return claim_list_for_member(user=self.request.user)

    @extend_schema(
        request=InputSerializer, responses={201: ClaimDetailSerializer, 200: ClaimDetailSerializer}
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        employer = employer_list_for_member(user=request.user).filter(pk=data["employer"]).first()
        if employer is None:
            raise Http404
        claim = claim_submit_for_employer(
            employer=employer,
            submitted_by=request.user,
            months=data["months"],
            applicant_ids=data["applicants"],
        )
        unchanged = getattr(claim, "unchanged", False)
        claim = claim_get_for_member(user=request.user, pk=claim.pk)
        # The same claim again changes nothing: the earlier claim, 200 instead of 201.
        return Response(
            ClaimDetailSerializer(claim, context={"employer": True}).data,
            status=status.HTTP_200_OK if unchanged else status.HTTP_201_CREATED,
        )


class EmployerClaimDetailApi(APIView):
    """One claim of the user's employers with its lines, decisions and reasons."""

    permission_classes = [IsAuthenticated, UsesEmployerWorkspace]

    @extend_schema(responses=ClaimDetailSerializer)
    def get(self, request: Request, claim_id: int) -> Response:
        try:
            claim = claim_get_for_member(user=request.user, pk=claim_id)
        except Claim.DoesNotExist:
            raise Http404 from None
        return Response(ClaimDetailSerializer(claim, context={"employer": True}).data)


class MyClaimListApi(ListAPIView):
    """
    Her own flexible-worker claims, newest first, with their lines; POST
    claims completed months for herself (the person-payee subsidies of her
    district).
    """

    permission_classes = [IsAuthenticated, UsesApplicantArea]
    serializer_class = ClaimDetailSerializer
    filter_backends: ClassVar[list] = []

    class InputSerializer(serializers.Serializer):
        months = _months_field()

        class Meta:
            ref_name = "SubsidyMyClaimInput"

    def get_applicant(self) -> Applicant:
        applicant = applicant_get_for_user(user=self.request.user)
        if applicant is None:
            raise NotFound(_("您还没有求职者档案，请先创建。"))
        return applicant

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Claim.objects.none()
        return claim_list_for_applicant(applicant=self.get_applicant())

    @extend_schema(
        request=InputSerializer, responses={201: ClaimDetailSerializer, 200: ClaimDetailSerializer}
    )
    def post(self, request: Request) -> Response:
        applicant = self.get_applicant()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claim_submit_for_person(
            applicant=applicant,
            submitted_by=request.user,
            months=serializer.validated_data["months"],
        )
        unchanged = getattr(claim, "unchanged", False)
        claim = claim_list_for_applicant(applicant=applicant).get(pk=claim.pk)
        return Response(
            ClaimDetailSerializer(claim).data,
            status=status.HTTP_200_OK if unchanged else status.HTTP_201_CREATED,
        )
