"""
Fixes found by the browser journeys (issue 7) in the registry pages: the employer applies
on one screen (fill in, promise, submit), and the bureau reads an entry before deciding.
"""

from http import HTTPStatus

import pytest
from django.urls import reverse

from employers.models import EmployerMembership, RegistryEntry
from employers.services import registry_entry_reject, registry_entry_return
from mamagang.accounts.services import staff_scope_grant
from tests.employers.factories import MembershipFactory, RegistryEntryFactory

pytestmark = pytest.mark.django_db

Status = RegistryEntry.Status
REGISTRY = "employers:workspace-registry"
SUBMIT = "employers:workspace-registry-submit"
SAVE = "employers:workspace-registry-save"
CONFIRM = "本单位承诺所填信息真实、准确，并同意区人社局核实。"


@pytest.fixture
def employer(shenzhen_guangzhou, employer_member):
    membership = MembershipFactory(user=employer_member, role=EmployerMembership.Role.ADMIN)
    return membership.employer


@pytest.fixture
def workspace_client(client, employer_member, employer):
    client.force_login(employer_member)
    return client


@pytest.fixture
def reviewer(staff_user, shenzhen_guangzhou):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    return staff_user


# --- the employer applies on one screen ------------------------------------------------


def test_registry_page_without_entry_shows_the_whole_application_form(workspace_client):
    page = workspace_client.get(reverse(REGISTRY))

    html = page.content.decode()
    assert 'name="declared_posts"' in html
    assert 'name="declaration"' in html
    assert CONFIRM in html
    assert f'action="{reverse(SUBMIT)}"' in html
    assert f'formaction="{reverse(SAVE)}"' in html
    # No separate "start" step any more.
    assert reverse("employers:workspace-registry-start") not in html


def test_registry_submit_with_content_creates_and_submits_in_one_step(
    workspace_client, employer, employer_member
):
    response = workspace_client.post(
        reverse(SUBMIT),
        {"declared_posts": "5", "declaration": "9点到15点。", "declaration_confirmed": "on"},
    )

    assert response.status_code == HTTPStatus.FOUND
    entry = RegistryEntry.objects.get(employer=employer)
    assert (entry.status, entry.declared_posts, entry.declaration) == (
        Status.SUBMITTED,
        5,
        "9点到15点。",
    )
    assert entry.submitted_by == employer_member


def test_registry_submit_without_promise_keeps_what_was_typed_and_creates_nothing(
    workspace_client, employer
):
    response = workspace_client.post(
        reverse(SUBMIT), {"declared_posts": "5", "declaration": "9点到15点。"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "declaration_confirmed" in response.context["submit_form"].errors
    assert "请确认所填信息真实后再提交。" in response.content.decode()
    assert response.context["declaration_form"]["declared_posts"].value() == "5"
    assert "9点到15点。" in response.content.decode()
    assert not RegistryEntry.objects.filter(employer=employer).exists()


def test_registry_submit_with_invalid_content_shows_field_error_and_creates_nothing(
    workspace_client, employer
):
    response = workspace_client.post(
        reverse(SUBMIT), {"declared_posts": "0", "declaration_confirmed": "on"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "declared_posts" in response.context["declaration_form"].errors
    assert not RegistryEntry.objects.filter(employer=employer).exists()


def test_registry_save_without_entry_starts_a_draft_without_the_promise(workspace_client, employer):
    response = workspace_client.post(
        reverse(SAVE), {"declared_posts": "3", "declaration": "先存草稿。"}, follow=True
    )

    entry = RegistryEntry.objects.get(employer=employer)
    assert (entry.status, entry.declared_posts) == (Status.DRAFT, 3)
    assert "申报内容已保存为草稿" in response.content.decode()
    # The draft is shown in the same form, ready to submit.
    assert response.context["declaration_form"].initial["declaration"] == "先存草稿。"


def test_registry_submit_saves_changes_of_a_returned_entry_before_resubmitting(
    workspace_client, employer, reviewer
):
    entry = RegistryEntryFactory(employer=employer, submitted=True, declared_posts=2)
    registry_entry_return(entry=entry, decided_by=reviewer, reason="请写明上班时间。")

    workspace_client.post(
        reverse(SUBMIT),
        {
            "declared_posts": "4",
            "declaration": "周一至周五9:00–15:00。",
            "declaration_confirmed": "on",
        },
    )

    entry.refresh_from_db()
    assert (entry.status, entry.declared_posts, entry.declaration) == (
        Status.SUBMITTED,
        4,
        "周一至周五9:00–15:00。",
    )


def test_registry_page_after_rejection_offers_a_new_application_prefilled(
    workspace_client, employer, reviewer
):
    entry = RegistryEntryFactory(employer=employer, submitted=True, declared_posts=6)
    registry_entry_reject(entry=entry, decided_by=reviewer, reason="未提供弹性岗位。")

    page = workspace_client.get(reverse(REGISTRY))
    assert page.context["declaration_form"].initial["declared_posts"] == 6

    workspace_client.post(
        reverse(SUBMIT),
        {"declared_posts": "6", "declaration": "已改为弹性上班。", "declaration_confirmed": "on"},
    )

    new = RegistryEntry.objects.filter(employer=employer).exclude(pk=entry.pk).get()
    assert (new.status, new.declaration) == (Status.SUBMITTED, "已改为弹性上班。")
    entry.refresh_from_db()
    assert entry.status == Status.REJECTED


def test_registry_submit_refuses_an_entry_waiting_for_review(workspace_client, employer):
    entry = RegistryEntryFactory(employer=employer, submitted=True, declared_posts=3)

    response = workspace_client.post(
        reverse(SUBMIT),
        {"declared_posts": "9", "declaration": "", "declaration_confirmed": "on"},
        follow=True,
    )

    entry.refresh_from_db()
    assert entry.declared_posts == 3
    assert "只有草稿或退回修改的申报可以修改或提交" in response.content.decode()
    assert 'name="declared_posts"' not in response.content.decode()


def test_registry_submit_without_content_or_entry_says_what_to_fill_in(workspace_client, employer):
    response = workspace_client.post(reverse(SUBMIT), {"declaration_confirmed": "on"}, follow=True)

    assert "请先填写拟设妈妈岗数量和申报说明，再提交审核。" in response.content.decode()
    assert not RegistryEntry.objects.filter(employer=employer).exists()


def test_employer_registration_of_a_taken_code_says_how_to_join(
    client, shenzhen_guangzhou, employer_member
):
    taken = RegistryEntryFactory().employer
    client.force_login(employer_member)

    response = client.post(
        reverse("employers:workspace-employer-new"), {"uscc": taken.uscc.lower()}
    )

    errors = response.context["form"].errors["uscc"]
    assert any("已登记" in e and "索取邀请链接" in e for e in errors)


# --- the bureau reads an entry, then decides -------------------------------------------


def test_staff_entry_page_puts_the_decision_after_the_entry_and_names_each_reason(client, reviewer):
    entry = RegistryEntryFactory(submitted=True)
    client.force_login(reviewer)

    html = client.get(reverse("employers:staff-registry-entry", args=[entry.pk])).text

    assert html.index("申报内容") < html.index('id="decision-heading"')
    assert 'href="#decision-heading"' in html
    assert '<label for="id_return_reason">退回修改的原因</label>' in html
    assert '<label for="id_reject_reason">不予入录的原因</label>' in html
    assert '<label for="id_approve_reason">审核意见（可不填）</label>' in html


def test_staff_registry_queue_labels_cells_and_names_the_publish_section(client, reviewer):
    RegistryEntryFactory(submitted=True, declared_posts=7)
    client.force_login(reviewer)

    html = client.get(reverse("employers:staff-registry-queue")).text

    assert 'class="staff-table registry-table"' in html
    assert '<td data-label="拟设岗位">7</td>' in html
    assert 'aria-labelledby="publish-heading"' in html
    assert '<h2 id="publish-heading">发布名录</h2>' in html


def test_registry_edition_code_sample_can_be_reached_by_keyboard(client, reviewer):
    from employers.services import registry_edition_publish

    entry = RegistryEntryFactory(approved=True)
    edition = registry_edition_publish(region=entry.district, published_by=None)

    html = client.get(
        reverse("employers:registry-edition", args=[entry.district.code, edition.number])
    ).text

    assert '<pre class="registry-code" tabindex="0" aria-label="用 Python 核验的示例代码">' in html


def test_workspace_of_a_listed_employer_offers_to_publish_a_post_first(workspace_client, employer):
    RegistryEntryFactory(employer=employer, approved=True)

    html = workspace_client.get(reverse("employers:workspace")).text

    post = f'<a class="button" href="{reverse("jobs:employer-job-new")}">发布妈妈岗岗位</a>'
    assert post in html
    assert html.index(post) < html.index("查看申报详情")


def test_workspace_of_an_employer_not_yet_listed_leads_to_the_application(
    workspace_client, employer
):
    html = workspace_client.get(reverse("employers:workspace")).text

    assert "发布妈妈岗岗位" not in html
    assert f'<a class="button" href="{reverse(REGISTRY)}">去申报</a>' in html
