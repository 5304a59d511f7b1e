"""
The district bureau's journey (issue 7), through the UI only: approve an employer's
registry entry, publish an edition of the registry and download its XLSX, review the
claim lines of an employer's subsidy claim with their reasons, approve the eligible ones
(and reject one that is not), put the approved lines into a payment batch, and approve and
export last week's batch (made by a colleague, its public notice over) with its control
totals.

What happened before the journey is made with factories and services: the pending
registry entry, a listed employer with four mothers employed and its claim (decided at
submission), and the colleague's batch.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from applicants.models import Applicant
from applicants.services import employment_create
from employers.models import ListingPeriod, RegistryEntry
from mamagang.accounts.services import staff_scope_grant
from mamagang.regions.models import Region
from subsidies.engine import add_months
from subsidies.models import ClaimLine, ContributionImport, ContributionRecord, PaymentBatch
from subsidies.services import batch_create, claim_submit_for_employer, line_approve
from tests.accounts.factories import PASSWORD, UserFactory
from tests.applicants.factories import make_mother, make_ric
from tests.employers.factories import EmployerFactory, MembershipFactory, RegistryEntryFactory
from tests.subsidies.factories import make_policy

from . import helpers

BAOAN = "440306"
APPLICANT_EMPLOYER = "深圳市宝安区巧手妈妈手工坊"
CLAIMING_EMPLOYER = "深圳市宝安区童心电商有限公司"
MOTHERS = {
    # name: (child's papers verified, contribution paid for the month)
    "王芳": (True, True),
    "李晓梅": (True, True),
    "赵丽": (True, False),
    "孙娜": (False, True),
}


def months_ago(n: int) -> datetime.date:
    return add_months(timezone.localdate().replace(day=1), -n)


def bureau_member(name: str):
    user = UserFactory(display_name=name)
    user.groups.add(Group.objects.get(name="bureau_staff"))
    staff_scope_grant(user=user, region=Region.objects.get(code=BAOAN), granted_by=None)
    return user


def pending_entry() -> RegistryEntry:
    """A handicraft workshop that applied to the registry and waits for a decision."""
    employer = EmployerFactory(name=APPLICANT_EMPLOYER, sector="handcraft")
    applicant = UserFactory(display_name="周女士")
    MembershipFactory(user=applicant, employer=employer)
    return RegistryEntryFactory(
        employer=employer,
        submitted=True,
        submitted_by=applicant,
        declared_posts=8,
        declaration="来料加工，可带回家做，按件计酬。",
    )


def claiming_employer(months: list[datetime.date]):
    """
    A listed employer with four mothers employed since before `months`, the
    contribution file for those months, and a member who submits its claims.
    """
    employer = EmployerFactory(name=CLAIMING_EMPLOYER)
    RegistryEntryFactory(employer=employer, approved=True)
    ListingPeriod.objects.filter(employer=employer).update(listed_from=datetime.date(2024, 1, 1))
    member = UserFactory(display_name="吴经理")
    MembershipFactory(user=member, employer=employer)
    source = ContributionImport.objects.create(
        region=Region.objects.get(code=BAOAN),
        file_name="contributions.csv",
        sha256="0" * 64,
        row_count=0,
        created_count=0,
        imported_by=UserFactory(),
    )
    for name, (verified, paid) in MOTHERS.items():
        mother = make_mother(
            full_name=name,
            id_number=make_ric(datetime.date(1991, 3, 8), BAOAN),
            district=BAOAN,
            children=[(2020, 5, verified)],
        )
        employment_create(
            employer=employer,
            applicant=mother,
            registered_by=member,
            start_date=datetime.date(2024, 3, 1),
            employment_form="part_time_hourly",
        )
        for month in months if paid else []:
            ContributionRecord.objects.create(
                person_hash=mother.id_number_hash,
                month=month,
                employer_uscc=employer.uscc,
                insurance_types=["pension", "medical"],
                employer_amount=Decimal("862.40"),
                person_amount=Decimal("318.60"),
                source=source,
            )
    return employer, member


def colleagues_batch(employer, member, colleague, month: datetime.date) -> PaymentBatch:
    """Last week's batch: the colleague approved the month's eligible lines and made it."""
    people = Applicant.objects.filter(full_name__in=["王芳", "李晓梅"]).values_list("pk", flat=True)
    claim = claim_submit_for_employer(
        employer=employer, submitted_by=member, months=[month], applicant_ids=list(people)
    )
    for line in ClaimLine.objects.filter(claim=claim, decision="eligible"):
        line_approve(line=line, by=colleague)
    # Made ten days ago with the policy's five days of notice: the notice is over.
    return batch_create(
        region=Region.objects.get(code=BAOAN),
        by=colleague,
        today=timezone.localdate() - datetime.timedelta(days=10),
    )


def goto_nav(page, name: str) -> None:
    helpers.open_menu_if_collapsed(page)
    nav = page.get_by_role("navigation", name="主导航")
    with page.expect_navigation():
        nav.get_by_role("link", name=name, exact=True).click()


def follow(page, name: str, *, within=None) -> None:
    scope = within if within is not None else page.get_by_role("main")
    with page.expect_navigation():
        scope.get_by_role("link", name=name, exact=True).first.click()


def submit(page, name: str, *, within=None) -> None:
    scope = within if within is not None else page
    with page.expect_navigation():
        scope.get_by_role("button", name=name, exact=True).click()


def expect_message(page, text: str) -> None:
    expect(page.locator("ul.messages")).to_contain_text(text)


def rows_of(download) -> list[tuple]:
    """The rows of a downloaded XLSX (a real workbook, or openpyxl refuses it)."""
    # openpyxl goes by the file name's extension, which the download's temporary path lacks.
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    try:
        return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]
    finally:
        workbook.close()


# ---------------------------------------------------------------------------
# The journey's steps


def approve_entry(page) -> None:
    follow(page, "名录审核")
    helpers.check(page, "registry-queue")
    follow(page, APPLICANT_EMPLOYER)
    helpers.check(page, "registry-entry")
    expect(page.get_by_role("main")).to_contain_text("来料加工，可带回家做，按件计酬。")
    page.get_by_label("审核意见（可不填）").fill("设施和岗位说明已核实。")
    submit(page, "通过，纳入名录")
    expect_message(page, "单位已纳入名录")
    helpers.check(page, "registry-entry-approved")


def publish_edition_and_download(page) -> None:
    follow(page, "返回名录审核")
    publish = page.get_by_role("region", name="发布名录")
    publish.get_by_label("发布范围").select_option(label="深圳市 宝安区（440306）")
    submit(page, "立即发布", within=publish)
    expect_message(page, "已发布宝安区名录第1期")
    helpers.check(page, "registry-published")
    with page.expect_navigation():
        page.locator("ul.messages").get_by_role("link", name="查看").click()
    helpers.check(page, "registry-edition")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename == "宝安区妈妈岗用人单位名录第1期.xlsx"
    rows = rows_of(download)
    assert rows[0][:2] == ("单位名称", "统一社会信用代码")
    names = {row[0] for row in rows[1:]}
    assert names == {APPLICANT_EMPLOYER, CLAIMING_EMPLOYER}


def review_lines(page) -> None:
    goto_nav(page, "工作台")
    # The button carries the number of lines waiting: "补贴审核 4".
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name=re.compile("^补贴审核")).click()
    helpers.check(page, "line-queue")
    table = page.locator("table.line-table")
    # Last month's four lines, each with its decision and, if any, its reasons.
    zhao = table.locator("tr", has_text="赵丽")
    # A missing contribution record waits for review (files arrive late), not a refusal.
    expect(zhao).to_contain_text("需人工审核")
    expect(zhao).to_contain_text("没有当月社会保险缴费记录")
    sun = table.locator("tr", has_text="孙娜")
    expect(sun).to_contain_text("需人工审核")
    expect(sun).to_contain_text("子女证明材料尚未经人社部门核验")

    # The child's papers are not checked yet: approving is refused before any click, and
    # the line says where to check them; the check brings her back to decide again.
    with page.expect_navigation():
        sun.get_by_role("link", name="孙娜").click()
    helpers.check(page, "line-needs-review")
    expect(page.locator("[data-code=review_not_eligible]")).to_be_visible()
    expect(page.get_by_role("button", name="审核通过")).to_have_count(0)
    follow(page, "核验她的子女证明材料")
    helpers.check(page, "applicant")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^核验通过")).click()
    expect_message(page, "已核验 孙娜 的子女")
    expect(page.get_by_role("heading", level=1)).to_contain_text("孙娜")
    submit(page, "重新判定")
    expect_message(page, "已重新判定，结果为：符合")
    helpers.check(page, "line-redecided")
    page.get_by_label("审核意见（可不填）").fill("已核对出生医学证明原件。")
    submit(page, "审核通过")
    expect_message(page, "已审核通过，金额 300.00 元")
    helpers.check(page, "line-approved")
    follow(page, "← 返回列表")

    # No contribution for the month, and the agency confirms none will come: reject it,
    # saying why.
    with page.expect_navigation():
        table.locator("tr", has_text="赵丽").get_by_role("link", name="赵丽").click()
    helpers.check(page, "line-no-contribution")
    page.get_by_label("驳回原因").fill("社保经办机构当月无该人员缴费记录，补缴后可重新申报。")
    submit(page, "驳回")
    expect_message(page, "已驳回该明细")
    helpers.check(page, "line-rejected")
    follow(page, "← 返回列表")

    # The two eligible lines of last month, ticked and approved together.
    for name in ("王芳", "李晓梅"):
        table.locator("tr", has_text=name).filter(has_text="审核中").get_by_role("checkbox").check()
    page.get_by_label("审核意见（可不填）").fill("材料齐全。")
    submit(page, "审核通过所选明细")
    expect_message(page, "已审核通过 2 条明细")
    helpers.check(page, "line-queue-approved")


def make_batch_and_export(page) -> None:
    follow(page, "补贴发放", within=page.get_by_role("navigation", name="补贴工作"))
    helpers.check(page, "batches")
    waiting = page.get_by_role("region", name="待编批次的明细")
    expect(waiting).to_contain_text("3 笔已审核通过、尚未编入批次的明细，合计 900.00 元")
    submit(page, "编制宝安区发放批次", within=waiting)
    expect_message(page, "已编制宝安区第2批：3 笔，合计 900.00 元")
    # Her own batch goes on public notice; somebody else approves it afterwards.
    expect(page.get_by_role("main")).to_contain_text("您是本批次的制单人，须由另一名工作人员审批。")
    helpers.check(page, "batch-new")

    follow(page, "← 返回列表")
    follow(page, "宝安区第1批")
    helpers.check(page, "batch-due")
    submit(page, "审批本批次")
    expect_message(page, "已审批：2 笔，合计 600.00 元")
    helpers.check(page, "batch-approved")
    with page.expect_download() as info:
        page.get_by_role("button", name="导出发放文件（Excel）").click()
    rows = rows_of(info.value)
    header = {row[0]: row[1] for row in rows[:6]}
    assert header["发放批次"] == "宝安区第1批"
    assert header["控制笔数（明细）"] == 2
    assert Decimal(str(header["控制金额（元）"])) == Decimal("600.00")
    total = next(row for row in rows if row[0] == "合计")
    assert total[4] == 2
    assert Decimal(str(total[5])) == Decimal("600.00")
    payees = [row for row in rows if row[1] == "用人单位"]
    assert [(row[2], row[4]) for row in payees] == [(CLAIMING_EMPLOYER, 2)]
    page.reload()
    expect(page.locator(".batch-summary")).to_contain_text("导出时间")
    helpers.check(page, "batch-exported")


def test_staff_journey(live_server, reference_data, new_page):
    make_policy(region=BAOAN, type_code="employer_social_insurance", amount="300.00")
    staff = bureau_member("陈科员")
    colleague = bureau_member("刘科长")
    pending_entry()
    employer, member = claiming_employer([months_ago(2), months_ago(1)])
    older = colleagues_batch(employer, member, colleague, months_ago(2))
    claim_submit_for_employer(employer=employer, submitted_by=member, months=[months_ago(1)])

    page = new_page()
    page.goto("/accounts/login/")
    helpers.check(page, "login")
    helpers.login(page, live_server.url, staff.phone, PASSWORD)
    helpers.check(page, "logged-in")
    goto_nav(page, "工作台")
    helpers.check(page, "workspace")
    approve_entry(page)
    publish_edition_and_download(page)
    review_lines(page)
    make_batch_and_export(page)

    older.refresh_from_db()
    assert (older.status, older.approved_by, older.exported_at is not None) == (
        PaymentBatch.Status.EXPORTED,
        staff,
        True,
    )
    statuses = dict(
        ClaimLine.objects.filter(month=months_ago(1)).values_list("applicant__full_name", "status")
    )
    assert statuses == {
        "王芳": "approved",
        "李晓梅": "approved",
        "赵丽": "rejected",
        "孙娜": "approved",
    }
