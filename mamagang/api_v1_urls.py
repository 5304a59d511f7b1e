"""Version 1 of the REST API. Each app adds its own `api_urls` module here."""

from django.urls import include, path

urlpatterns = [
    path("", include("mamagang.core.api_urls")),
    path("", include("mamagang.accounts.api_urls")),
    path("", include("mamagang.regions.api_urls")),
    path("", include("employers.api_urls")),
    path("", include("jobs.api_urls")),
    path("", include("applicants.api_urls")),
    path("", include("subsidies.api_urls")),
]
