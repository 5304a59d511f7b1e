from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mamagang.core.models import Notification
from mamagang.core.services import notification_send, notifications_purge_read
from mamagang.core.tasks import notification_email_send

pytestmark = pytest.mark.django_db


def test_notification_send_emails_after_commit_only(applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notification_send(
            recipient=applicant, kind="test", title="名录审核通过", body="详情", email=True
        )
    assert mail.outbox == []  # nothing goes out before the commit

    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    assert "名录审核通过" in mail.outbox[0].subject
    assert mail.outbox[0].to == [applicant.email]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_notification_send_without_email_address_only_notifies_in_site(
    make_user, django_capture_on_commit_callbacks
):
    user = make_user(email="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_send(recipient=user, kind="test", title="t", email=True)

    assert callbacks == []
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=user).count() == 1


def test_notification_email_send_is_idempotent(applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_send(recipient=applicant, kind="t", title="t", email=True)

    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_notifications_purge_read_keeps_unread_and_recent(applicant):
    now = timezone.now()
    old = notification_send(recipient=applicant, kind="t", title="old")
    recent = notification_send(recipient=applicant, kind="t", title="recent")
    unread = notification_send(recipient=applicant, kind="t", title="unread")
    Notification.objects.filter(pk=old.pk).update(read_at=now - timedelta(days=200))
    Notification.objects.filter(pk=recent.pk).update(read_at=now - timedelta(days=10))

    assert notifications_purge_read(now=now) == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {recent.pk, unread.pk}


def test_notification_list_shows_only_own_and_marks_read(client, applicant, make_user):
    other = make_user()
    mine = notification_send(recipient=applicant, kind="t", title="我的消息")
    theirs = notification_send(recipient=other, kind="t", title="别人的消息")
    client.force_login(applicant)

    body = client.get(reverse("core:notification-list")).content.decode()
    assert "我的消息" in body
    assert "别人的消息" not in body

    assert client.post(reverse("core:notification-read", args=[theirs.pk])).status_code == 404
    client.post(reverse("core:notification-read", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_notification_read_never_redirects_off_site(client, applicant):
    n = notification_send(
        recipient=applicant, kind="t", title="t", link="https://evil.example.com/"
    )
    client.force_login(applicant)

    response = client.post(reverse("core:notification-read", args=[n.pk]))

    assert response["Location"] == reverse("core:notification-list")


def test_notification_list_query_count_is_independent_of_row_count(client, applicant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(applicant)
    notification_send(recipient=applicant, kind="t", title="t")
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("core:notification-list")).status_code == HTTPStatus.OK
    for i in range(15):
        notification_send(recipient=applicant, kind="t", title=f"t{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("core:notification-list"))

    assert len(many) == len(one)


def test_notification_api_lists_own_and_marks_read(api_client, applicant, make_user):
    mine = notification_send(recipient=applicant, kind="t", title="mine")
    notification_send(recipient=make_user(), kind="t", title="theirs")
    api_client.force_authenticate(applicant)

    data = api_client.get(reverse("api:notification-list")).json()
    assert [row["title"] for row in data["results"]] == ["mine"]

    response = api_client.post(reverse("api:notification-read", args=[mine.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["read_at"] is not None


def test_notification_api_query_count_is_constant(api_client, applicant, django_assert_num_queries):
    for i in range(5):
        notification_send(recipient=applicant, kind="t", title=f"t{i}")
    api_client.force_authenticate(applicant)

    with django_assert_num_queries(2):  # count + page
        api_client.get(reverse("api:notification-list"))
