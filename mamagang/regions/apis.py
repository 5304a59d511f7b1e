from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny

from .filters import RegionFilter
from .models import Region


class RegionOutputSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "valid_from", "valid_to"]


class RegionListApi(ListAPIView):
    """Public list of administrative divisions (current ones unless asked otherwise)."""

    permission_classes = [AllowAny]
    serializer_class = RegionOutputSerializer
    filterset_class = RegionFilter

    def get_queryset(self):
        return Region.objects.select_related("parent").order_by("code")


class RegionDetailApi(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = RegionOutputSerializer

    def get_object(self):
        return get_object_or_404(Region.objects.select_related("parent"), code=self.kwargs["code"])
