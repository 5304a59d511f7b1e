from django.urls import path

from . import apis

urlpatterns = [
    path("regions/", apis.RegionListApi.as_view(), name="region-list"),
    path("regions/<str:code>/", apis.RegionDetailApi.as_view(), name="region-detail"),
]
