"""
The employer's journey (issue 7), through the UI only: register with a credit code, apply
to the district registry, (after a bureau member approves it in her own browser) publish a
post with time windows and piece-rate pay, review a mother's application, mark her hired,
and claim the social-insurance subsidy for a month she worked.

What the other people do happens around the employer: the mother (her profile, and her
application once the post is out) is made with the services, as is the subsidy policy and
the month's contribution record; the bureau member approves the entry in a second browser.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from applicants.services import application_submit
from employers.models import Employer, ListingPeriod
from jobs.models import Job
from mamagang.accounts.services import staff_scope_grant
from mamagang.core.identifiers import uscc_check_character, validate_uscc
from subsidies.engine import add_months
from subsidies.models import ClaimLine, ContributionImport, ContributionRecord
from tests.accounts.factories import PASSWORD, UserFactory
from tests.applicants.factories import make_mother
from tests.subsidies.factories import make_policy

from . import helpers

BAOAN = "440306"
EMPLOYER_NAME = "深圳宝安妈妈岗电商有限公司"
EMPLOYER_PHONE = "13600001234"
EMPLOYER_PASSWORD = "Mamagang-2025-ok"


def credit_code() -> str:
    """A valid USCC of an enterprise (91) registered in Bao'an, check character computed."""
    body = f"91{BAOAN}MA5F3Q8X1"
    code = body + uscc_check_character(body)
    assert validate_uscc(code) == code
    return code


def claim_month() -> datetime.date:
    """The last completed month: the latest one the claim form offers."""
    return add_months(timezone.localdate().replace(day=1), -1)


def bureau_member(district):
    """A staff member of the district's bureau."""
    user = UserFactory(display_name="陈科员")
    user.groups.add(Group.objects.get(name="bureau_staff"))
    staff_scope_grant(user=user, region=district, granted_by=None)
    return user


def contribution_paid(mother, *, uscc: str, month: datetime.date, district, staff) -> None:
    """The social insurance fund's file for `month`: the employer paid for her."""
    source = ContributionImport.objects.create(
        region=district,
        file_name=f"{month:%Y-%m}.csv",
        sha256="0" * 64,
        row_count=1,
        created_count=1,
        imported_by=staff,
    )
    ContributionRecord.objects.create(
        person_hash=mother.id_number_hash,
        month=month,
        employer_uscc=uscc,
        insurance_types=["pension", "medical", "unemployment", "injury"],
        employer_amount=Decimal("862.40"),
        person_amount=Decimal("318.60"),
        source=source,
    )


def goto_nav(page, name: str) -> None:
    """Follow a link of the main navigation, opening the phone menu first."""
    helpers.open_menu_if_collapsed(page)
    nav = page.get_by_role("navigation", name="主导航")
    with page.expect_navigation():
        nav.get_by_role("link", name=name, exact=True).click()


def workspace_link(page, name: str) -> None:
    """Follow a link of the employer workspace's own navigation."""
    nav = page.get_by_role("navigation", name="单位工作台")
    with page.expect_navigation():
        nav.get_by_role("link", name=name, exact=True).click()


def submit(page, name: str) -> None:
    """Click the submit button `name` and wait for the next page."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def expect_message(page, text: str) -> None:
    expect(page.locator("ul.messages")).to_contain_text(text)


def pick_region(page, district_name: str) -> None:
    """Choose 广东省 › 深圳市 › the district in the cascading region selects."""
    page.get_by_label("省/自治区/直辖市").select_option(label="广东省")
    page.get_by_label("地级市").select_option(label="深圳市")
    page.get_by_label("区县", exact=True).select_option(label=district_name)


# ---------------------------------------------------------------------------
# The employer's steps


def register_account(page) -> None:
    page.goto("/")
    helpers.check(page, "home")
    with page.expect_navigation():
        page.get_by_role("link", name="注册单位账户").click()
    helpers.check(page, "register")
    page.get_by_label("称呼").fill("张经理")
    page.get_by_label("手机号").fill(EMPLOYER_PHONE)
    page.get_by_label("密码", exact=True).fill(EMPLOYER_PASSWORD)
    page.get_by_label("确认密码").fill(EMPLOYER_PASSWORD)
    page.get_by_label("我已阅读并同意用户协议和个人信息保护声明。").check()
    submit(page, "注册")
    expect_message(page, "账户已创建")
    helpers.check(page, "registered")


def register_employer(page, uscc: str) -> None:
    if "/employer/" not in page.url:
        goto_nav(page, "单位工作台")
    helpers.check(page, "workspace-empty")
    with page.expect_navigation():
        page.get_by_role("link", name="登记用人单位").click()
    helpers.check(page, "employer-new")
    # Typed as people do: lower case with spaces; the form tidies it up.
    spaced = " ".join(re.findall(".{1,6}", uscc.lower()))
    page.get_by_label("统一社会信用代码").fill(spaced)
    page.get_by_label("单位名称").fill(EMPLOYER_NAME)
    page.get_by_label("行业").select_option(label="电商")
    page.get_by_label("单位规模").select_option(label="10–99人")
    page.get_by_label("单位简介").fill("直播带货和网店客服，欢迎宝妈加入。")
    pick_region(page, "宝安区")
    page.get_by_label("经营地址").fill("新安街道创业路8号")
    page.get_by_label("联系人").fill("张经理")
    page.get_by_label("联系电话").fill("075527001234")
    page.get_by_label("设有母婴室").check()
    page.get_by_label("安排接送孩子时间").check()
    submit(page, "登记本单位")
    expect_message(page, "您是本单位的管理员")
    expect(page.get_by_role("heading", level=1)).to_have_text(EMPLOYER_NAME)
    helpers.check(page, "workspace")


def apply_to_registry(page) -> None:
    """One screen: what the employer declares, the promise, and submit."""
    with page.expect_navigation():
        page.get_by_role("link", name="去申报").click()
    helpers.check(page, "registry-form")
    page.get_by_label("拟设妈妈岗数量").fill("5")
    page.get_by_label("申报说明").fill("直播助理和客服岗位，工作时间9:00至15:00，方便接送孩子。")
    page.get_by_label("本单位承诺所填信息真实、准确，并同意区人社局核实。").check()
    submit(page, "提交审核")
    expect_message(page, "申报已提交")
    expect(page.locator(".registry-status .status-pill")).to_have_text("待审核")
    helpers.check(page, "registry-submitted")


def staff_approves_entry(new_page, base_url: str, staff) -> None:
    """The bureau member, in her own browser, approves the entry from her queue."""
    page = new_page()
    page.goto("/accounts/login/")
    helpers.check(page, "staff-login")
    helpers.login(page, base_url, staff.phone, PASSWORD)
    helpers.check(page, "staff-logged-in")
    goto_nav(page, "工作台")
    helpers.check(page, "staff-workspace")
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name="名录审核", exact=True).click()
    helpers.check(page, "staff-registry-queue")
    with page.expect_navigation():
        page.get_by_role("link", name=EMPLOYER_NAME).click()
    helpers.check(page, "staff-registry-entry")
    page.get_by_label("审核意见（可不填）").fill("材料齐全，同意纳入名录。")
    submit(page, "通过，纳入名录")
    expect_message(page, "单位已纳入名录")
    helpers.check(page, "staff-registry-approved")


def publish_post(page) -> Job:
    """A piece-rate post, Monday to Friday 09:00-15:00, published at once (no review here)."""
    page.reload()
    expect(page.locator(".registry-status .status-pill")).to_have_text("已入录")
    workspace_link(page, "概览")
    helpers.check(page, "workspace-listed")
    with page.expect_navigation():
        page.get_by_role("link", name="发布妈妈岗岗位").click()
    helpers.check(page, "job-new")
    page.get_by_label("岗位名称").fill("直播间商品打包员")
    page.get_by_label("工种").fill("打包")
    page.get_by_label("岗位描述").fill("为直播间订单分拣、打包商品，按件计酬，上午送完孩子再来。")
    page.get_by_label("宝妈班组（自选时段）").check()
    page.get_by_label("用工形式").select_option(label="非全日制（按小时）")
    page.get_by_label("招聘人数").fill("3")
    page.get_by_label("工作地点类型").select_option(label="在单位")
    page.get_by_label("计薪单位").select_option(label="每件")
    page.get_by_label("最低报酬（元）").fill("1.50")
    page.get_by_label("最高报酬（元）").fill("2.00")
    page.get_by_label("每小时约可完成件数").fill("20")
    page.get_by_label("工资结算周期（天）").fill("15")
    # One blank shift row to begin with (four without JavaScript); more on demand.
    expect(page.get_by_role("group", name="班次 2", exact=True)).to_have_count(0)
    page.get_by_role("button", name="再加一个班次").click()
    expect(page.get_by_role("group", name="班次 2", exact=True)).to_have_count(1)
    shift = page.get_by_role("group", name="班次 1", exact=True)
    for day in ("周一", "周二", "周三", "周四", "周五"):
        shift.get_by_label(day).check()
    shift.get_by_label("开始").fill("09:00")
    shift.get_by_label("结束").fill("15:00")
    page.get_by_label("缴纳社会保险").check()
    page.get_by_label("缴纳工伤保险").check()
    submit(page, "预览")
    preview = page.get_by_role("region", name="预览：求职者看到的岗位")
    expect(preview).to_contain_text("周一至周五 09:00–15:00")
    helpers.check(page, "job-preview")
    submit(page, "保存草稿")
    expect_message(page, "岗位已保存")
    helpers.check(page, "job-draft")
    submit(page, "提交发布")
    expect_message(page, "岗位已发布")
    helpers.check(page, "job-published")
    workspace_link(page, "岗位管理")
    expect(page.get_by_role("main")).to_contain_text("直播间商品打包员")
    helpers.check(page, "jobs")
    return Job.objects.get(title="直播间商品打包员")


def review_and_hire(page, month: datetime.date) -> None:
    """Open her application from the list, offer her the post, register her employment."""
    workspace_link(page, "申请管理")
    helpers.check(page, "applications")
    with page.expect_navigation():
        page.get_by_role("link", name="李晓梅").click()
    expect(page.locator(".application-panel .application-status")).to_have_text("已查看")
    expect(page.locator(".application-fit")).to_contain_text("时间匹配 100%")
    helpers.check(page, "application")
    offer = page.locator("form#offer")
    offer.get_by_label("给求职者的话（可选）").fill("欢迎加入！请带身份证到新安街道创业路8号报到。")
    submit(page, "通知录用")
    expect_message(page, "已通知求职者录用")
    helpers.check(page, "application-offered")
    hire = page.locator("form#hire")
    # She has been working here since the 1st of the claim month.
    hire.get_by_label("入职日期").fill(month.isoformat())
    expect(hire.get_by_label("申明该岗位为“妈妈岗”")).to_be_checked()
    submit(page, "确认入职并登记")
    expect_message(page, "已办理入职和就业登记，并申明为妈妈岗")
    expect(page.locator(".application-panel .application-status")).to_have_text("已入职")
    helpers.check(page, "application-hired")
    workspace_link(page, "就业登记")
    expect(page.get_by_role("main")).to_contain_text("李晓梅")
    helpers.check(page, "employments")


def claim_subsidy(page, month: datetime.date) -> None:
    workspace_link(page, "补贴申报")
    helpers.check(page, "claims-empty")
    with page.expect_navigation():
        page.get_by_role("link", name="新建申报").first.click()
    helpers.check(page, "claim-new")
    page.get_by_label(f"{month.year}年{month.month}月", exact=True).check()
    submit(page, "提交申报")
    expect_message(page, "申报已提交并完成自动判定")
    line = page.locator("[data-line]")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("李晓梅")
    expect(line.locator("[data-decision]")).to_have_text("符合")
    expect(line.locator("[data-amount]")).to_have_text("300.00 元")
    helpers.check(page, "claim")
    with page.expect_navigation():
        line.get_by_role("link", name="判定依据").click()
    helpers.check(page, "claim-line")


def test_employer_journey(live_server, reference_data, new_page):
    baoan = reference_data[BAOAN]
    month = claim_month()
    make_policy(region=BAOAN, type_code="employer_social_insurance", amount="300.00")
    staff = bureau_member(baoan)
    mother = make_mother(full_name="李晓梅", district=BAOAN)
    uscc = credit_code()

    page = new_page()
    register_account(page)
    register_employer(page, uscc)
    apply_to_registry(page)
    staff_approves_entry(new_page, live_server.url, staff)
    # The listing counts from the 1st of the claim month: a claim is only for a month that
    # has ended, and the registry is dated, so the approval is moved back in time.
    ListingPeriod.objects.filter(employer__uscc=uscc).update(listed_from=month)
    job = publish_post(page)
    assert (job.pay_unit, job.status) == (Job.PayUnit.PIECE, Job.Status.PUBLISHED)
    assert job.hourly_min == Decimal("30.00")  # 1.50 yuan a piece, 20 pieces an hour

    # Meanwhile she finds the post and applies.
    application_submit(applicant=mother, job=job, message="我住在新安街道，送完孩子就能到。")
    review_and_hire(page, month)
    contribution_paid(mother, uscc=uscc, month=month, district=baoan, staff=staff)
    claim_subsidy(page, month)

    line = ClaimLine.objects.get(employer=Employer.objects.get(uscc=uscc))
    assert (line.decision, line.amount, line.month) == ("eligible", Decimal("300.00"), month)
    assert line.claim.submitted_by.phone == EMPLOYER_PHONE
