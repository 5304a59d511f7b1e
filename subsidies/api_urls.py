"""Routes of the subsidies REST API, included under /api/v1/ (namespace "api")."""

from django.urls import path

from . import apis_claims, apis_staff

urlpatterns = [
    # Employers' members: their employers' claims.
    path(
        "employer/claims/",
        apis_claims.EmployerClaimListApi.as_view(),
        name="subsidies-employer-claim-list",
    ),
    path(
        "employer/claims/<int:claim_id>/",
        apis_claims.EmployerClaimDetailApi.as_view(),
        name="subsidies-employer-claim-detail",
    ),
    # Her own flexible-worker claims.
    path("me/claims/", apis_claims.MyClaimListApi.as_view(), name="subsidies-me-claim-list"),
    *apis_staff.urlpatterns,
]
