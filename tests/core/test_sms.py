"""Text messages go through the configured backend, once per notification."""

import io

import pytest

from mamagang.core import sms
from mamagang.core.services import notification_send, notification_sms_deliver

pytestmark = pytest.mark.django_db


def test_a_notification_with_sms_is_texted_once_after_commit(
    make_user, django_capture_on_commit_callbacks
):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_send(
            recipient=user, kind="t", title="您的申请有新进展", link="/me/", sms=True
        )

    assert [m.phone for m in sms.outbox] == [user.phone]
    assert "您的申请有新进展" in sms.outbox[0].text
    assert sms.outbox[0].text.endswith("/me/")
    assert notification_sms_deliver(notification_id=notification.pk) is False
    assert len(sms.outbox) == 1


def test_without_sms_nothing_is_texted(make_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=make_user(), kind="t", title="x")

    assert sms.outbox == []


def test_the_console_backend_prints_the_message():
    stream = io.StringIO()
    sms.ConsoleSmsBackend(stream=stream).send("13800000001", "【妈妈岗】测试")

    assert stream.getvalue() == "[SMS to 13800000001] 【妈妈岗】测试\n"
