"""The bureau's subsidy pages: review queue, one line, decisions, runs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants.models import Applicant, Child
from applicants.services import employment_create
from employers.models import Employer, ListingPeriod
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import ClaimLine, DecisionRecord, EligibilityRun, RunChunk, SubsidyPolicy
from subsidies.services import claim_submit_for_employer, line_approve, run_start
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import EmployerFactory, MembershipFactory
from tests.jobs.factories import listed_employer
from tests.subsidies.factories import make_policy

pytestmark = pytest.mark.django_db

LISTED_SINCE = datetime.date(2025, 1, 1)
EMPLOYED_SINCE = datetime.date(2025, 1, 1)


def months_ago(n: int) -> datetime.date:
    """The 1st of the month `n` months before the current one."""
    return add_months(timezone.localdate().replace(day=1), -n)


def staff_in(make_user, code: str):
    """A bureau staff member whose scope is the region `code`."""
    user = make_user("bureau_staff")
    staff_scope_grant(user=user, region=Region.objects.get(code=code), granted_by=None)
    return user


def employer_in(code: str = "440306", **kwargs) -> Employer:
    """A listed employer in district `code`, listed since LISTED_SINCE."""
    employer = listed_employer(employer=EmployerFactory(district=Region.objects.get(code=code)))
    ListingPeriod.objects.filter(employer=employer).update(listed_from=LISTED_SINCE)
    if kwargs:
        Employer.objects.filter(pk=employer.pk).update(**kwargs)
        employer.refresh_from_db()
    return employer


def hire(employer: Employer, member, *, name: str, verified: bool = True, **employment):
    """
    A mother employed by `employer` since EMPLOYED_SINCE (child born 2019-03);
    her full ID number is kept on `.test_id_number` for leak checks.
    """
    id_number = make_ric(datetime.date(1990, 6, 15), employer.district.code)
    mother = make_mother(
        full_name=name,
        id_number=id_number,
        district=employer.district.code,
        children=[(2019, 3, verified)],
    )
    mother.test_id_number = id_number
    employment_create(
        employer=employer,
        applicant=mother,
        registered_by=member,
        start_date=EMPLOYED_SINCE,
        employment_form="part_time_hourly",
        **employment,
    )
    return mother


@dataclass
class World:
    policy: SubsidyPolicy
    employer: Employer
    member: object
    mothers: list[Applicant] = field(default_factory=list)

    def claim(self, months: list[datetime.date] | None = None, *, by=None) -> list[ClaimLine]:
        claim = claim_submit_for_employer(
            employer=self.employer, submitted_by=by or self.member, months=months or [months_ago(1)]
        )
        return list(ClaimLine.objects.filter(claim=claim).order_by("pk"))


def build_world(
    make_user,
    *,
    region: str = "440306",
    names: tuple[str, ...] = ("李晓梅", "王芳"),
    policy: SubsidyPolicy | None = None,
    employer_name: str | None = None,
    **policy_fields,
) -> World:
    """A policy, a listed employer with a member, and eligible employed mothers."""
    if policy is None:
        policy_fields.setdefault("requires_contribution", False)
        policy_fields.setdefault("max_months", 12)
        policy = make_policy(region=region, **policy_fields)
    employer = employer_in(region, **({"name": employer_name} if employer_name else {}))
    member = make_user("employer_member")
    MembershipFactory(user=member, employer=employer)
    world = World(policy=policy, employer=employer, member=member)
    world.mothers = [hire(employer, member, name=name) for name in names]
    return world


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def baoan_staff(shenzhen_guangzhou, make_user):
    return staff_in(make_user, "440306")


@pytest.fixture
def tianhe_staff(shenzhen_guangzhou, make_user):
    return staff_in(make_user, "440106")


@pytest.fixture
def world(shenzhen_guangzhou, make_user):
    return build_world(make_user)


# ---------------------------------------------------------------------------
# Permissions and scope


def _page_urls(line: ClaimLine, run: EligibilityRun) -> list[tuple[str, str]]:
    return [
        ("get", reverse("subsidies:staff-line-queue")),
        ("get", reverse("subsidies:staff-line-detail", args=[line.pk])),
        ("post", reverse("subsidies:staff-line-approve", args=[line.pk])),
        ("post", reverse("subsidies:staff-line-reject", args=[line.pk])),
        ("post", reverse("subsidies:staff-line-redecide", args=[line.pk])),
        ("post", reverse("subsidies:staff-line-bulk-approve")),
        ("get", reverse("subsidies:staff-run-list")),
        ("get", reverse("subsidies:staff-run-detail", args=[run.pk])),
        ("post", reverse("subsidies:staff-run-resume", args=[run.pk])),
        ("get", reverse("subsidies:staff-run-progress", args=[run.pk])),
    ]


@pytest.mark.parametrize("role", ["employer_member", "applicant"])
def test_staff_pages_refuse_employer_and_applicant_users(client, world, make_user, role):
    line = world.claim()[0]
    run = run_start(policy=world.policy, month=months_ago(1))
    client.force_login(make_user(role))

    for method, url in _page_urls(line, run):
        assert getattr(client, method)(url).status_code == HTTPStatus.FORBIDDEN, url

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


def test_staff_pages_answer_staff_of_the_region(client, world, baoan_staff):
    line = world.claim()[0]
    run = run_start(policy=world.policy, month=months_ago(1))
    client.force_login(baoan_staff)

    for method, url in _page_urls(line, run):
        if method == "get":
            assert client.get(url).status_code == HTTPStatus.OK, url


def test_staff_pages_hide_lines_and_runs_of_other_regions(client, world, tianhe_staff):
    line = world.claim()[0]
    run = run_start(policy=world.policy, month=months_ago(1))
    client.force_login(tianhe_staff)

    queue = client.get(reverse("subsidies:staff-line-queue"))
    assert list(queue.context["lines"]) == []
    assert world.mothers[0].full_name not in queue.content.decode()
    object_urls = [
        (method, url)
        for method, url in _page_urls(line, run)
        if f"/{line.pk}/" in url or f"/{run.pk}/" in url
    ]
    assert len(object_urls) == 7
    for method, url in object_urls:
        assert getattr(client, method)(url).status_code == HTTPStatus.NOT_FOUND, url
    runs = client.get(reverse("subsidies:staff-run-list"))
    assert list(runs.context["runs"]) == []
    assert list(runs.context["start_form"].fields["policy"].queryset) == []

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


def test_staff_line_queue_redirects_anonymous_to_login(client, world):
    response = client.get(reverse("subsidies:staff-line-queue"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("accounts:login") in response["Location"]


# ---------------------------------------------------------------------------
# The queue


def test_staff_line_queue_lists_lines_oldest_first_with_masked_ids_and_reasons(
    client, world, baoan_staff, make_user
):
    late = hire(world.employer, world.member, name="赵敏", verified=False)
    older = world.claim([months_ago(2)])
    newer = world.claim([months_ago(1)])
    client.force_login(baoan_staff)

    response = client.get(reverse("subsidies:staff-line-queue"))

    lines = list(response.context["lines"])
    assert [line.pk for line in lines] == [line.pk for line in [*older, *newer]]
    html = response.content.decode()
    assert late.id_number_masked in html
    assert late.test_id_number not in html
    assert "子女证明材料尚未经人社部门核验" in html  # child_not_verified, as a label
    assert "300.00 元" in html
    assert "需人工审核" in html


def test_staff_line_queue_filters_and_counts(client, shenzhen_guangzhou, make_user, baoan_staff):
    world = build_world(make_user, names=("李晓梅", "王芳"), employer_name="宝安甲科技有限公司")
    hire(world.employer, world.member, name="赵敏", verified=False)
    world.claim([months_ago(2), months_ago(1)])
    other = build_world(
        make_user, names=("陈静",), policy=world.policy, employer_name="宝安乙贸易有限公司"
    )
    other.claim([months_ago(1)])
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-line-queue")

    everything = client.get(url)
    assert everything.context["paginator"].count == 7
    tabs = {t["value"]: t["count"] for t in everything.context["decision_tabs"]}
    assert tabs == {None: 7, "pending": 0, "eligible": 5, "ineligible": 0, "needs_review": 2}
    statuses = {t["value"]: t["count"] for t in everything.context["status_tabs"]}
    assert statuses["open"] == 7
    assert statuses["approved"] == 0

    month = months_ago(1)
    by_month = client.get(url, {"month": f"{month:%Y-%m}"})
    assert {line.month for line in by_month.context["lines"]} == {month}
    assert by_month.context["paginator"].count == 4

    review = client.get(url, {"decision": "needs_review"})
    assert {line.applicant.full_name for line in review.context["lines"]} == {"赵敏"}
    # The decision tabs still count every decision; the status tabs count under the decision.
    assert {t["value"]: t["count"] for t in review.context["decision_tabs"]}[None] == 7
    assert {t["value"]: t["count"] for t in review.context["status_tabs"]}["open"] == 2

    line_approve(line=ClaimLine.objects.filter(decision="eligible").first(), by=baoan_staff)
    approved = client.get(url, {"status": "approved"})
    assert [line.status for line in approved.context["lines"]] == ["approved"]
    tabs = {t["value"]: t["count"] for t in approved.context["decision_tabs"]}
    assert (tabs[None], tabs["eligible"], tabs["needs_review"]) == (1, 1, 0)

    by_employer = client.get(url, {"employer": "乙贸易"})
    assert [line.applicant.full_name for line in by_employer.context["lines"]] == ["陈静"]

    by_type = client.get(url, {"subsidy_type": "employer_post"})
    assert by_type.context["paginator"].count == 0

    by_district = client.get(url, {"district": "440306"})
    assert by_district.context["paginator"].count == 7

    bad = client.get(url, {"month": "2026-13"})
    assert bad.status_code == HTTPStatus.OK
    assert bad.context["paginator"].count == 0
    assert bad.context["filter_form"].errors


def test_staff_line_queue_filters_lines_awaiting_a_second_approval(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, second_approval_above=Decimal("200.00"))
    first, second = world.claim()
    client.force_login(baoan_staff)
    client.post(reverse("subsidies:staff-line-approve", args=[first.pk]))
    url = reverse("subsidies:staff-line-queue")

    needed = client.get(url, {"second": "needed"})
    awaiting = client.get(url, {"second": "awaiting"})

    assert {line.pk for line in needed.context["lines"]} == {first.pk, second.pk}
    assert [line.pk for line in awaiting.context["lines"]] == [first.pk]
    assert "已初审，待复核" in awaiting.content.decode()


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


def test_staff_line_queue_query_count_is_independent_of_row_count(
    client, shenzhen_guangzhou, make_user, baoan_staff
):
    world = build_world(make_user, names=("甲", "乙"))
    world.claim()
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-line-queue")
    two = _queries_for(client, url)

    for name in ("丙", "丁", "戊", "己"):
        hire(world.employer, world.member, name=name)
    world.claim([months_ago(2)])
    assert ClaimLine.objects.count() == 8

    assert _queries_for(client, url) == two


# ---------------------------------------------------------------------------
# One line and its decisions


def test_staff_line_detail_shows_decision_inputs_in_plain_chinese(client, world, baoan_staff):
    line = world.claim()[0]
    client.force_login(baoan_staff)

    response = client.get(reverse("subsidies:staff-line-detail", args=[line.pk]))

    html = response.content.decode()
    mother = world.mothers[0]
    assert mother.id_number_masked in html
    assert world.employer.name in html
    reference = months_ago(1)
    assert f"{reference.year}年{reference.month}月1日" in html  # the reference day
    assert "1990年6月15日" in html  # birth date
    assert "2019年3月出生，材料已核验" in html
    assert "已申明妈妈岗" in html
    assert "没有当月社会保险缴费记录" in html
    assert "每人每月 300.00 元" in html
    assert "中府函〔2022〕226号" in html
    assert "此前已享受月数" in html
    assert len(response.context["decisions"]) == 1


def test_staff_line_approve_records_the_reviewer(client, world, baoan_staff):
    line = world.claim()[0]
    client.force_login(baoan_staff)

    response = client.post(
        reverse("subsidies:staff-line-approve", args=[line.pk]), {"note": "材料齐全"}, follow=True
    )

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.APPROVED
    assert line.approved_by == baoan_staff
    assert line.status_reason == "材料齐全"
    assert "已审核通过，金额 300.00 元。" in response.content.decode()
    assert AuditEvent.objects.filter(action="claimline.approved").count() == 1


def test_staff_line_reject_requires_a_reason(client, world, baoan_staff):
    line = world.claim()[0]
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-line-reject", args=[line.pk])

    blank = client.post(url, {"reason": "   "}, follow=True)
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN
    assert "请填写驳回原因" in blank.content.decode()

    client.post(url, {"reason": "劳动合同与就业登记不一致"})
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.REJECTED
    assert line.status_reason == "劳动合同与就业登记不一致"


def test_staff_line_redecide_after_verifying_the_childs_evidence(
    client, world, baoan_staff, make_user
):
    mother = hire(world.employer, world.member, name="赵敏", verified=False)
    line = next(line for line in world.claim() if line.applicant_id == mother.pk)
    assert line.decision == ClaimLine.Decision.NEEDS_REVIEW
    client.force_login(baoan_staff)
    detail = reverse("subsidies:staff-line-detail", args=[line.pk])

    page = client.get(detail)
    blocks = [b["code"] for b in page.context["blocks"]]
    assert blocks == ["review_not_eligible"]
    assert not page.context["may_approve"]
    refused = client.post(reverse("subsidies:staff-line-approve", args=[line.pk]), follow=True)
    assert "只有判定为“符合”的明细可以审核通过" in refused.content.decode()

    Child.objects.filter(applicant=mother).update(
        verified_at=timezone.now(), verified_by=baoan_staff
    )
    response = client.post(reverse("subsidies:staff-line-redecide", args=[line.pk]), follow=True)

    line.refresh_from_db()
    assert line.decision == ClaimLine.Decision.ELIGIBLE
    assert line.amount == Decimal("300.00")
    assert "已重新判定，结果为：符合。" in response.content.decode()
    decisions = response.context["decisions"]
    assert [d["record"].decision for d in decisions] == ["eligible", "needs_review"]
    assert DecisionRecord.objects.filter(line=line).count() == 2


def test_staff_line_submitter_cannot_approve_own_claim(client, shenzhen_guangzhou, make_user):
    world = build_world(make_user)
    # A bureau employee who is also the employer's member and submitted the claim.
    insider = staff_in(make_user, "440306")
    insider.groups.add(Group.objects.get(name="employer_member"))
    MembershipFactory(user=insider, employer=world.employer)
    line = world.claim(by=insider)[0]
    client.force_login(insider)

    page = client.get(reverse("subsidies:staff-line-detail", args=[line.pk]))
    assert [b["code"] for b in page.context["blocks"]] == [
        "review_own_claim",
        "review_own_employer",
    ]
    assert not page.context["may_approve"]
    assert not page.context["may_reject"]
    response = client.post(reverse("subsidies:staff-line-approve", args=[line.pk]), follow=True)

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN
    assert line.approved_by is None
    assert "不能审核自己提交的申报。" in response.content.decode()


def test_staff_line_employer_member_cannot_approve(client, world, make_user):
    member_staff = staff_in(make_user, "440306")
    MembershipFactory(user=member_staff, employer=world.employer)
    line = world.claim()[0]
    client.force_login(member_staff)

    page = client.get(reverse("subsidies:staff-line-detail", args=[line.pk]))
    assert 'data-code="review_own_employer"' in page.content.decode()
    response = client.post(reverse("subsidies:staff-line-approve", args=[line.pk]), follow=True)
    rejected = client.post(
        reverse("subsidies:staff-line-reject", args=[line.pk]), {"reason": "测试"}, follow=True
    )

    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN
    assert "不能审核本人所在单位的申报。" in response.content.decode()
    assert "不能审核本人所在单位的申报。" in rejected.content.decode()


def test_staff_line_above_threshold_needs_two_different_reviewers(
    client, shenzhen_guangzhou, make_user
):
    world = build_world(make_user, names=("李晓梅",), second_approval_above=Decimal("200.00"))
    line = world.claim()[0]
    first, second = staff_in(make_user, "440306"), staff_in(make_user, "440300")
    url = reverse("subsidies:staff-line-approve", args=[line.pk])

    client.force_login(first)
    response = client.post(url, follow=True)
    line.refresh_from_db()
    assert (line.status, line.approved_by) == (ClaimLine.Status.OPEN, first)
    assert "须由另一名工作人员复核" in response.content.decode()

    again = client.post(url, follow=True)
    assert "须由另一名工作人员复核" in again.content.decode()
    assert [b["code"] for b in again.context["blocks"]] == ["review_same_person"]
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN

    client.force_login(second)
    client.post(url)
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.APPROVED
    assert (line.approved_by, line.second_approved_by) == (first, second)


def test_staff_line_bulk_approve_reports_refusals_per_line(
    client, shenzhen_guangzhou, make_user, baoan_staff, tianhe_staff
):
    world = build_world(make_user, names=("李晓梅", "王芳"))
    hire(world.employer, world.member, name="赵敏", verified=False)
    lines = world.claim()
    eligible = [line for line in lines if line.decision == ClaimLine.Decision.ELIGIBLE]
    review = next(line for line in lines if line.decision == ClaimLine.Decision.NEEDS_REVIEW)
    tianhe = build_world(make_user, region="440106", names=("陈静",))
    foreign = tianhe.claim()[0]
    client.force_login(baoan_staff)

    response = client.post(
        reverse("subsidies:staff-line-bulk-approve"),
        {
            "lines": [*(line.pk for line in eligible), review.pk, foreign.pk],
            "note": "批量审核",
            "query": "status=open",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("subsidies:staff-line-queue") + "?status=open"
    texts = messages_of(response)
    assert "已审核通过 2 条明细。" in texts
    assert any("赵敏" in t and "只有判定为“符合”的明细" in t for t in texts)
    assert any(f"#{foreign.pk}" in t and "不在您的辖区内" in t for t in texts)
    statuses = dict(ClaimLine.objects.values_list("pk", "status"))
    assert {statuses[line.pk] for line in eligible} == {"approved"}
    assert statuses[review.pk] == "open"
    assert statuses[foreign.pk] == "open"


def test_staff_line_bulk_approve_refuses_more_than_a_hundred(client, world, baoan_staff):
    line = world.claim()[0]
    client.force_login(baoan_staff)

    response = client.post(
        reverse("subsidies:staff-line-bulk-approve"), {"lines": list(range(1, 102))}
    )

    assert any("一次最多审核通过 100 条明细" in t for t in messages_of(response))
    line.refresh_from_db()
    assert line.status == ClaimLine.Status.OPEN


def test_staff_line_queue_shows_checkboxes_only_for_open_eligible_lines(client, world, baoan_staff):
    hire(world.employer, world.member, name="赵敏", verified=False)
    lines = world.claim()
    client.force_login(baoan_staff)

    html = client.get(reverse("subsidies:staff-line-queue")).content.decode()

    for line in lines:
        box = f'name="lines" value="{line.pk}"'
        assert (box in html) == (line.decision == ClaimLine.Decision.ELIGIBLE)


# ---------------------------------------------------------------------------
# Runs


def test_staff_run_start_shows_progress_and_completes(
    client, world, baoan_staff, django_capture_on_commit_callbacks
):
    world.claim()
    client.force_login(baoan_staff)
    month = months_ago(1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("subsidies:staff-run-list"),
            {"policy": world.policy.pk, "month": f"{month:%Y-%m}"},
            follow=True,
        )
    run = EligibilityRun.objects.get()
    assert (run.kind, run.started_by, run.month) == ("manual", baoan_staff, month)
    assert run.status == EligibilityRun.Status.RUNNING
    html = response.content.decode()
    assert '<progress max="1" value="0"' in html
    assert "已完成 0/1 分块" in html
    assert 'http-equiv="refresh" content="5"' in html
    assert len(callbacks) == 1  # one chunk queued once the run committed

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    page = client.get(reverse("subsidies:staff-run-detail", args=[run.pk]))

    run.refresh_from_db()
    assert run.status == EligibilityRun.Status.DONE
    assert (run.done_chunks, run.total_chunks, run.lines_decided) == (1, 1, 2)
    html = page.content.decode()
    assert '<progress max="1" value="1"' in html
    assert "已完成 1/1 分块" in html
    assert "http-equiv" not in html


def test_staff_run_start_runs_the_chunks_with_eager_celery(
    client, world, baoan_staff, django_capture_on_commit_callbacks
):
    world.claim()
    client.force_login(baoan_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("subsidies:staff-run-list"),
            {"policy": world.policy.pk, "month": f"{months_ago(1):%Y-%m}"},
        )

    run = EligibilityRun.objects.get()
    assert response["Location"] == reverse("subsidies:staff-run-detail", args=[run.pk])
    assert run.status == EligibilityRun.Status.DONE
    assert run.lines_changed == 0  # the claim decided them already; nothing changed
    listing = client.get(reverse("subsidies:staff-run-list")).content.decode()
    assert "已完成 1/1 分块" in listing


def test_staff_run_start_refuses_an_unfinished_month_and_foreign_policy(
    client, world, baoan_staff, shenzhen_guangzhou
):
    foreign = make_policy(region="440106")
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-run-list")
    this_month = timezone.localdate().replace(day=1)

    future = client.post(url, {"policy": world.policy.pk, "month": f"{this_month:%Y-%m}"})
    other = client.post(url, {"policy": foreign.pk, "month": f"{months_ago(1):%Y-%m}"})

    assert future.status_code == HTTPStatus.OK
    assert "只能判定已结束的月份。" in future.content.decode()
    assert other.status_code == HTTPStatus.OK
    assert other.context["start_form"].errors["policy"]
    assert not EligibilityRun.objects.exists()


def test_staff_run_resume_requeues_unfinished_chunks(
    client, world, baoan_staff, django_capture_on_commit_callbacks
):
    world.claim()
    run = run_start(policy=world.policy, month=months_ago(1), chunk_size=1)
    assert run.total_chunks == 2
    RunChunk.objects.filter(run=run).update(status="failed", attempts=3)
    EligibilityRun.objects.filter(pk=run.pk).update(
        status="failed", errors=[{"chunk": 1, "error": "boom"}]
    )
    client.force_login(baoan_staff)
    detail = client.get(reverse("subsidies:staff-run-detail", args=[run.pk]))
    assert detail.context["may_resume"]
    assert "boom" in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(reverse("subsidies:staff-run-resume", args=[run.pk]))
    response = client.get(posted["Location"])

    run.refresh_from_db()
    assert run.status == EligibilityRun.Status.DONE
    assert run.done_chunks == 2
    assert "已重新排队 2 个分块。" in response.content.decode()
    assert not response.context["may_resume"]


def test_staff_run_progress_json(client, world, baoan_staff, django_capture_on_commit_callbacks):
    world.claim()
    run = run_start(policy=world.policy, month=months_ago(1), chunk_size=1)
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-run-progress", args=[run.pk])

    before = client.get(url).json()
    with django_capture_on_commit_callbacks(execute=True):
        run_start(policy=world.policy, month=months_ago(1))  # joins and re-queues the open run
    after = client.get(url).json()

    assert {k: before[k] for k in ("status", "percent", "done_chunks", "total_chunks")} == {
        "status": "running",
        "percent": 0,
        "done_chunks": 0,
        "total_chunks": 2,
    }
    assert after["status"] == "done"
    assert after["percent"] == 100
    assert (after["done_chunks"], after["lines_decided"], after["lines_changed"]) == (2, 2, 0)


def test_staff_run_list_query_count_is_independent_of_row_count(
    client, world, baoan_staff, shenzhen_guangzhou
):
    world.claim([months_ago(n) for n in range(1, 6)])
    run_start(policy=world.policy, month=months_ago(1))
    client.force_login(baoan_staff)
    url = reverse("subsidies:staff-run-list")
    one = _queries_for(client, url)

    for n in range(2, 6):
        run_start(policy=world.policy, month=months_ago(n))

    assert _queries_for(client, url) == one


def test_staff_workspace_shows_open_line_count(client, world, baoan_staff):
    world.claim()
    client.force_login(baoan_staff)

    html = client.get(reverse("accounts:staff-workspace")).content.decode()

    assert "2 条补贴明细待审核。" in html
    assert reverse("subsidies:staff-line-queue") in html
    assert reverse("subsidies:staff-run-list") in html


def test_district_staff_follow_the_runs_of_the_city_policy_read_only(
    client,
    shenzhen_guangzhou,
    make_user,
    baoan_staff,
    tianhe_staff,
    django_capture_on_commit_callbacks,
):
    # given a Shenzhen city policy decided for a 宝安 employer's claim, and a city run
    world = build_world(make_user, policy=make_policy(region="440300", requires_contribution=False))
    world.claim()
    city_staff = staff_in(make_user, "440300")
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start(policy=world.policy, month=months_ago(1), by=city_staff)
    client.force_login(baoan_staff)

    # when 宝安's staff open the runs, then the city's run is there, with its progress
    listing = client.get(reverse("subsidies:staff-run-list")).content.decode()
    assert reverse("subsidies:staff-run-detail", args=[run.pk]) in listing
    assert "您的辖区内还没有补贴政策" not in listing
    assert "上级（市或省）制定的补贴政策" in listing
    detail = client.get(reverse("subsidies:staff-run-detail", args=[run.pk]))
    assert detail.status_code == 200
    assert "发起或继续执行由深圳市人社部门负责" in detail.content.decode()
    # read-only: she cannot resume the city's run
    resume = client.post(reverse("subsidies:staff-run-resume", args=[run.pk]))
    assert resume.status_code == 403
    # and staff of another city's district see nothing of it
    client.force_login(tianhe_staff)
    assert client.get(reverse("subsidies:staff-run-detail", args=[run.pk])).status_code == 404
