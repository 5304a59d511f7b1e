"""Routes of the applicants REST API, included under /api/v1/ (namespace "api")."""

from django.urls import path

from . import apis

urlpatterns = [
    # Her own area.
    path("me/profile/", apis.ProfileApi.as_view(), name="applicants-me-profile"),
    path(
        "me/profile/windows/",
        apis.FreeWindowsSetApi.as_view(),
        name="applicants-me-profile-windows",
    ),
    path("me/children/", apis.ChildListApi.as_view(), name="applicants-me-child-list"),
    path(
        "me/children/<int:child_id>/",
        apis.ChildRemoveApi.as_view(),
        name="applicants-me-child-remove",
    ),
    path("me/eligibility/", apis.EligibilityApi.as_view(), name="applicants-me-eligibility"),
    path(
        "me/applications/",
        apis.MyApplicationListApi.as_view(),
        name="applicants-me-application-list",
    ),
    path(
        "me/applications/<int:application_id>/",
        apis.MyApplicationDetailApi.as_view(),
        name="applicants-me-application-detail",
    ),
    path(
        "me/applications/<int:application_id>/withdraw/",
        apis.MyApplicationWithdrawApi.as_view(),
        name="applicants-me-application-withdraw",
    ),
    # Employers' members.
    path(
        "employer/applications/",
        apis.EmployerApplicationListApi.as_view(),
        name="applicants-employer-application-list",
    ),
    path(
        "employer/applications/<int:application_id>/",
        apis.EmployerApplicationDetailApi.as_view(),
        name="applicants-employer-application-detail",
    ),
    path(
        "employer/applications/<int:application_id>/transition/",
        apis.EmployerApplicationTransitionApi.as_view(),
        name="applicants-employer-application-transition",
    ),
    path(
        "employer/employments/",
        apis.EmploymentListApi.as_view(),
        name="applicants-employer-employment-list",
    ),
    path(
        "employer/employments/<int:employment_id>/end/",
        apis.EmploymentEndApi.as_view(),
        name="applicants-employer-employment-end",
    ),
]
