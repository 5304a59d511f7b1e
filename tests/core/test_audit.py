import pytest

from mamagang.core.audit import audit_record, snapshot
from mamagang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_record_stores_actor_object_and_changes(staff_user, applicant):
    event = audit_record(
        actor=staff_user,
        action="user.checked",
        obj=applicant,
        before={"is_active": True},
        after={"is_active": False},
        reason="测试",
    )

    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == staff_user
    assert event.object_type == "accounts.user"
    assert event.object_id == str(applicant.pk)
    assert (event.before, event.after, event.reason) == (
        {"is_active": True},
        {"is_active": False},
        "测试",
    )


def test_audit_record_without_actor_is_a_system_action(applicant):
    from django.contrib.auth.models import AnonymousUser

    assert audit_record(actor=None, action="x", obj=applicant).actor is None
    assert audit_record(actor=AnonymousUser(), action="x", obj=applicant).actor is None


def test_snapshot_is_json_safe(applicant):
    data = snapshot(applicant, ["display_name", "date_joined", "is_active"])

    assert data["is_active"] is True
    assert isinstance(data["date_joined"], str)
