"""Every model is in the admin, and every admin page opens for a superuser."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"core", "accounts", "regions", "employers", "jobs", "applicants", "subsidies"}


def test_every_project_model_is_registered_in_the_admin():
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]

    missing = [m._meta.label for m in models if m not in admin.site._registry]

    assert missing == []


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label in PROJECT_APPS],
    ids=lambda m: m._meta.label,
)
def test_admin_changelist_and_add_pages_open(client, make_user, model, shenzhen_guangzhou):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    opts = model._meta

    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200

    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)


def test_admin_grants_region_scopes_through_the_audited_service(
    client, make_user, staff_user, shenzhen_guangzhou
):
    from mamagang.core.models import AuditEvent

    root = make_user(is_superuser=True, is_staff=True)
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[staff_user.pk])
    page = client.get(url)
    data = {
        "phone": staff_user.phone,
        "display_name": staff_user.display_name,
        "email": staff_user.email,
        "is_active": "on",
        "groups": [g.pk for g in staff_user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "region_scopes-TOTAL_FORMS": "1",
        "region_scopes-INITIAL_FORMS": "0",
        "region_scopes-MIN_NUM_FORMS": "0",
        "region_scopes-MAX_NUM_FORMS": "1000",
        "region_scopes-0-region": shenzhen_guangzhou["440306"].pk,
        "region_scopes-0-user": staff_user.pk,
    }
    assert page.status_code == 200

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(staff_user.region_scopes.values_list("region__code", flat=True)) == ["440306"]
    event = AuditEvent.objects.get(action="staff_scope.granted")
    assert event.actor == root
