"""
Fixes found by the browser journeys (issue 7) in the bureau's subsidy pages: the review
queue shows the lines still to review first, a line waiting for a child's papers leads to
her page and back, and the batch pages name their sections and say when a batch is ready.
"""

import datetime
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from subsidies.models import ClaimLine
from subsidies.services import batch_create, line_approve
from tests.subsidies.test_staff_pages import build_world, hire, months_ago, staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def baoan_staff(shenzhen_guangzhou, make_user):
    return staff_in(make_user, "440306")


def test_staff_line_queue_lists_lines_to_review_before_settled_ones(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("李晓梅", "王芳"))
    older = world.claim([months_ago(2)])
    newer = world.claim([months_ago(1)])
    colleague = staff_in(make_user, "440306")
    for line in older:
        line_approve(line=line, by=colleague)
    client.force_login(baoan_staff)

    response = client.get(reverse("subsidies:staff-line-queue"))

    lines = list(response.context["lines"])
    # The newer lines wait for review: they come first, oldest first among them.
    assert [line.pk for line in lines] == [line.pk for line in [*newer, *older]]
    assert [line.status for line in lines] == ["open", "open", "approved", "approved"]
    assert "审核中的在前，等待最久的在最前" in response.text


def test_staff_line_queue_keeps_oldest_first_among_lines_to_review(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("李晓梅",))
    older = world.claim([months_ago(2)])
    newer = world.claim([months_ago(1)])
    client.force_login(baoan_staff)

    response = client.get(reverse("subsidies:staff-line-queue"), {"status": "open"})

    assert [line.pk for line in response.context["lines"]] == [older[0].pk, newer[0].pk]


def test_staff_batch_list_names_the_section_of_lines_waiting_for_a_batch(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("李晓梅",))
    (line,) = world.claim()
    line_approve(line=line, by=baoan_staff)
    client.force_login(baoan_staff)

    response = client.get(reverse("subsidies:staff-batch-list"))

    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert 'aria-labelledby="unbatched-heading"' in html
    assert '<h2 id="unbatched-heading">待编批次的明细</h2>' in html
    assert ClaimLine.objects.get(pk=line.pk).status == ClaimLine.Status.APPROVED


def test_staff_line_waiting_for_child_papers_links_to_her_page_and_back(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("李晓梅",))
    mother = hire(world.employer, world.member, name="赵敏", verified=False)
    lines = {line.applicant_id: line for line in world.claim()}
    waiting, fine = lines[mother.pk], lines[world.mothers[0].pk]
    client.force_login(baoan_staff)

    html = client.get(reverse("subsidies:staff-line-detail", args=[waiting.pk])).text

    back = reverse("subsidies:staff-line-detail", args=[waiting.pk])
    link = (
        reverse("applicants:staff-applicant-detail", args=[mother.pk])
        + "?"
        + urlencode({"next": back})
    )
    assert f'href="{escape(link)}"' in html
    assert "核验她的子女证明材料" in html
    fine_html = client.get(reverse("subsidies:staff-line-detail", args=[fine.pk])).text
    assert "核验她的子女证明材料" not in fine_html

    # Her page sends the verification back to the line, where staff decide again.
    page = client.get(link).text
    assert f'<input type="hidden" name="next" value="{back}">' in page
    assert f'<a href="{back}">← 返回刚才的页面</a>' in page
    child = mother.children.get()
    response = client.post(
        reverse("applicants:staff-child-verify", args=[child.pk]), {"next": back}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == back
    client.post(reverse("subsidies:staff-line-redecide", args=[waiting.pk]))
    waiting.refresh_from_db()
    assert waiting.decision == ClaimLine.Decision.ELIGIBLE


def test_staff_line_hides_the_papers_link_from_staff_who_may_not_verify(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("李晓梅",))
    mother = hire(world.employer, world.member, name="赵敏", verified=False)
    line = next(line for line in world.claim() if line.applicant_id == mother.pk)
    baoan_staff.groups.clear()
    baoan_staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["use_staff_workspace", "review_claimline"],
        )
    )
    client.force_login(baoan_staff)

    html = client.get(reverse("subsidies:staff-line-detail", args=[line.pk])).text

    assert "子女证明材料尚未经人社部门核验" in html
    assert "核验她的子女证明材料" not in html


def test_staff_batch_page_says_when_a_batch_is_ready_to_approve(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("李晓梅",))
    (line,) = world.claim()
    maker = staff_in(make_user, "440306")
    line_approve(line=line, by=maker)
    district = world.employer.district
    running = batch_create(region=district, by=maker)
    client.force_login(baoan_staff)

    html = client.get(reverse("subsidies:staff-batch-detail", args=[running.pk])).text
    assert "data-ready" not in html
    assert "公示期满后" in html

    (second,) = world.claim([months_ago(2)])
    line_approve(line=second, by=maker)
    over = batch_create(
        region=district, by=maker, today=timezone.localdate() - datetime.timedelta(days=10)
    )
    html = client.get(reverse("subsidies:staff-batch-detail", args=[over.pk])).text
    assert f"公示期已于 {over.publicity_until:%Y-%m-%d} 结束。公示无异议的，请审批本批次" in html
