"""Routes of the employers REST API, included under /api/v1/ (namespace "api")."""

from django.urls import path

from . import apis

urlpatterns = [
    # Public registry.
    path("employers/", apis.EmployerListPublicApi.as_view(), name="employer-list"),
    path(
        "employers/<int:employer_id>/",
        apis.EmployerDetailPublicApi.as_view(),
        name="employer-detail",
    ),
    path(
        "registry/editions/",
        apis.RegistryEditionListApi.as_view(),
        name="registry-edition-list",
    ),
    path(
        "registry/editions/<str:region_code>/<int:number>/",
        apis.RegistryEditionDetailApi.as_view(),
        name="registry-edition-detail",
    ),
    # Employer members.
    path("employers/register/", apis.EmployerRegisterApi.as_view(), name="employer-register"),
    path("me/employers/", apis.EmployerListForMemberApi.as_view(), name="my-employer-list"),
    path(
        "me/employers/<int:employer_id>/",
        apis.EmployerDetailForMemberApi.as_view(),
        name="my-employer-detail",
    ),
    path(
        "me/employers/<int:employer_id>/registry/",
        apis.RegistryEntryForMemberApi.as_view(),
        name="my-registry-entry",
    ),
    path(
        "me/employers/<int:employer_id>/registry/start/",
        apis.RegistryEntryStartApi.as_view(),
        name="my-registry-start",
    ),
    path(
        "me/employers/<int:employer_id>/registry/update/",
        apis.RegistryEntryUpdateApi.as_view(),
        name="my-registry-update",
    ),
    path(
        "me/employers/<int:employer_id>/registry/submit/",
        apis.RegistryEntrySubmitApi.as_view(),
        name="my-registry-submit",
    ),
    # District staff.
    path(
        "staff/registry/entries/",
        apis.RegistryEntryListForStaffApi.as_view(),
        name="staff-registry-entry-list",
    ),
    path(
        "staff/registry/entries/<int:entry_id>/",
        apis.RegistryEntryDetailForStaffApi.as_view(),
        name="staff-registry-entry-detail",
    ),
    *(
        path(
            f"staff/registry/entries/<int:entry_id>/{action}/",
            view.as_view(),
            name=f"staff-registry-entry-{action}",
        )
        for action, view in (
            ("approve", apis.RegistryEntryApproveApi),
            ("return", apis.RegistryEntryReturnApi),
            ("reject", apis.RegistryEntryRejectApi),
            ("suspend", apis.RegistryEntrySuspendApi),
            ("remove", apis.RegistryEntryRemoveApi),
            ("reinstate", apis.RegistryEntryReinstateApi),
        )
    ),
]
