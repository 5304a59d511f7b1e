import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Region


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Region.Level.choices)
    parent = django_filters.CharFilter(
        field_name="parent__code", label=_("上级区划代码"), max_length=12
    )
    within = django_filters.CharFilter(
        method="filter_within", label=_("区划代码前缀"), max_length=12
    )
    name = django_filters.CharFilter(lookup_expr="contains", label=_("名称包含"), max_length=64)
    include_retired = django_filters.BooleanFilter(
        method="filter_include_retired", label=_("包含已撤销的区划")
    )

    class Meta:
        model = Region
        fields = ["level", "parent", "within", "name"]

    def filter_within(self, queryset, name, value):
        if not value.isdigit():
            return queryset.none()
        return queryset.within(value)

    def filter_include_retired(self, queryset, name, value):
        return queryset  # handled in `qs`, so the default applies when the field is absent

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("include_retired"):
            queryset = queryset.current()
        return queryset
