from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mamagang.core.exceptions import DomainError

from .forms import PhoneLoginForm
from .selectors import region_prefixes_for_user


class TokenObtainApi(APIView):
    """Exchange a mobile number and password for an API token (same lock-out as the login page)."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        phone = serializers.CharField(max_length=20)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

        class Meta:
            ref_name = "TokenObtainInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

        class Meta:
            ref_name = "TokenObtainOutput"

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = PhoneLoginForm(
            request._request,
            data={
                "username": serializer.validated_data["phone"],
                "password": serializer.validated_data["password"],
            },
        )
        if not form.is_valid():
            error = form.errors.as_data()
            first = next(iter(error.values()))[0]
            raise DomainError(" ".join(first.messages), code=first.code or "invalid_login")
        token, _ = Token.objects.get_or_create(user=form.get_user())
        return Response(self.OutputSerializer({"token": token.key}).data)


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        phone = serializers.CharField(source="masked_phone")
        display_name = serializers.CharField()
        email = serializers.EmailField()
        permissions = serializers.SerializerMethodField()
        region_prefixes = serializers.SerializerMethodField()

        class Meta:
            ref_name = "Me"

        def get_permissions(self, user) -> list[str]:
            return sorted(p for p in user.get_all_permissions() if p.startswith("accounts.use_"))

        def get_region_prefixes(self, user) -> list[str]:
            return region_prefixes_for_user(user=user)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)
