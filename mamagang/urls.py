from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from mamagang.core import views as core_views

urlpatterns = [
    path("", core_views.HomeView.as_view(), name="home"),
    path("health/", core_views.health, name="health"),
    path("", include("mamagang.accounts.urls")),
    path("", include("mamagang.core.urls")),
    path("", include("employers.urls")),
    path("", include("jobs.urls")),
    path("", include("applicants.urls")),
    path("", include("subsidies.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", include("mamagang.api_urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "妈妈岗服务平台 管理后台"
admin.site.site_title = "妈妈岗服务平台"
