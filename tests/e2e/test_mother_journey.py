"""
The mother's journey (issue 7), through the UI only: she registers, fills in her profile in
all its areas (free time on weekdays 09:00–15:00), searches for "直播" posts that fit her
time, opens one, applies, and later sees the employer's answer on her application page.

The employer and its posts are set up with factories (the employer's own journey is
test_employer_journey.py); the employer then invites her to an interview through its
workspace in a second browser context.
"""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from mamagang.accounts.roles import Role
from mamagang.core import sms
from tests.accounts.factories import PASSWORD, UserFactory
from tests.applicants.factories import make_ric
from tests.employers.factories import EmployerFactory, MembershipFactory, RegistryEntryFactory
from tests.jobs.factories import make_job

from . import helpers

MOTHER_PHONE = "13800138123"
MOTHER_PASSWORD = "Baoan-mama-2024"
EMPLOYER_PHONE = "13900139001"
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五")


def employer_with_posts():
    """A listed employer in Bao'an with three posts; only the first fits her search."""
    from jobs.schedule import windows_for

    employer = EmployerFactory(name="深圳晨光电商有限公司")
    RegistryEntryFactory(employer=employer, approved=True)
    member = UserFactory(phone=EMPLOYER_PHONE, display_name="王经理")
    member.groups.add(Group.objects.get(name=Role.EMPLOYER_MEMBER))
    MembershipFactory(employer=employer, user=member)
    make_job(
        employer=employer,
        title="电商直播助理",
        windows=windows_for(range(5), 10 * 60, 14 * 60),
    )
    make_job(  # 直播, but in the evening: not in her free time
        employer=employer,
        title="晚间直播带货主播",
        occupation="主播",
        windows=windows_for(range(5), 19 * 60, 23 * 60),
    )
    make_job(  # in her free time, but no 直播
        employer=employer,
        title="商场保洁员",
        description="负责商场公共区域的日常清洁，工作时间在孩子上学期间。",
        occupation="保洁员",
        sector="services",
        windows=windows_for(range(5), 9 * 60, 15 * 60),
    )


def go_to_menu_item(page, name: str) -> None:
    helpers.open_menu_if_collapsed(page)
    nav = page.get_by_role("navigation", name="主导航")
    with page.expect_navigation():
        nav.get_by_role("link", name=name, exact=True).click()


def submit(page, name: str) -> None:
    """Press the form's button `name` and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def expect_message(page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def test_mother_journey(live_server, reference_data, new_page):
    employer_with_posts()
    base = live_server.url
    page = new_page()

    # She arrives on the home page and registers.
    page.goto(base + "/")
    helpers.check(page, "01-home")
    with page.expect_navigation():
        page.get_by_role("link", name="注册求职账户").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求职者注册")
    helpers.check(page, "02-register")
    page.get_by_label("称呼").fill("李女士")
    page.get_by_label("手机号").fill(MOTHER_PHONE)
    page.get_by_label("密码", exact=True).fill(MOTHER_PASSWORD)
    page.get_by_label("确认密码").fill(MOTHER_PASSWORD)
    page.get_by_label("我已阅读并同意").check()
    submit(page, "注册")
    expect_message(page, "李女士，欢迎您！")

    # Registering leads her straight to the profile she needs before applying.
    expect(page.get_by_role("heading", level=1)).to_have_text("填写求职档案")
    helpers.check(page, "05-profile-create")
    page.get_by_label("姓名", exact=True).fill("李晓梅")
    page.get_by_label("身份证号码", exact=True).fill(make_ric(datetime.date(1991, 4, 12), "440306"))
    # The region picker turns the code boxes into cascading selects.
    page.get_by_label("省/自治区/直辖市").select_option(label="广东省")
    page.get_by_label("地级市").select_option(label="深圳市")
    page.get_by_label("区县", exact=True).select_option(label="宝安区")
    page.get_by_label("街道/乡镇（选填）").select_option(label="新安街道")
    page.get_by_label("退休年龄类别").select_option("F50")
    page.get_by_label("单独同意平台处理我的身份证号码").check()
    helpers.check(page, "06-profile-create-filled")
    submit(page, "建立档案")
    expect_message(page, "求职档案已建立")
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，李晓梅")
    helpers.check(page, "07-me-home")

    # Her profile, area by area.
    with page.expect_navigation():
        page.get_by_role("link", name="个人信息").first.click()
    helpers.check(page, "08-personal")
    page.get_by_label("学历").select_option(label="高中/中专")
    page.get_by_label("技能").fill("电商直播、手工编织")
    page.get_by_label("证书").fill("育婴员（四级）")
    submit(page, "保存")
    expect_message(page, "个人信息已保存")
    helpers.check(page, "09-personal-saved")

    profile_nav = page.get_by_role("navigation", name="档案各部分")
    with page.expect_navigation():
        profile_nav.get_by_role("link", name="子女和家庭照护").click()
    helpers.check(page, "10-children")
    page.get_by_label("出生年份").select_option("2020")
    page.get_by_label("出生月份").select_option("3")
    page.get_by_label("我是孩子的监护人").check()
    submit(page, "登记")
    expect_message(page, "已登记")
    expect(page.get_by_text("2020年3月出生")).to_be_visible()
    helpers.check(page, "11-children-saved")

    with page.expect_navigation():
        profile_nav.get_by_role("link", name="空闲时间").click()
    helpers.check(page, "12-availability")
    if helpers.is_phone(page):
        # The usual span is one tap.
        submit(page, "工作日 9:00–15:00")
        expect_message(page, "已添加空闲时间：周一至周五 09:00–15:00")
    else:
        row = page.get_by_role("group", name="时间段 1", exact=True)
        for day in WEEKDAYS:
            row.get_by_label(day).check()
        row.get_by_label("开始").fill("09:00")
        row.get_by_label("结束").fill("15:00")
        submit(page, "保存空闲时间")
        expect_message(page, "空闲时间已保存")
    expect(page.get_by_text("周一至周五 09:00–15:00").first).to_be_visible()
    helpers.check(page, "13-availability-saved")

    with page.expect_navigation():
        profile_nav.get_by_role("link", name="求职意向").click()
    helpers.check(page, "14-intentions")
    page.get_by_label("宝妈班组（自选时段）").check()
    page.get_by_role("group", name="感兴趣的行业").get_by_label("电商", exact=True).check()
    page.get_by_label("每周可工作小时").fill("25")
    submit(page, "保存")
    expect_message(page, "求职意向已保存")
    helpers.check(page, "15-intentions-saved")

    with page.expect_navigation():
        profile_nav.get_by_role("link", name="培训需求").click()
    helpers.check(page, "16-training")
    page.get_by_label("电商直播", exact=True).check()
    page.get_by_label("其他培训需求").fill("短视频剪辑")
    submit(page, "保存")
    expect_message(page, "培训需求已保存")
    helpers.check(page, "17-training-saved")

    with page.expect_navigation():
        profile_nav.get_by_role("link", name="工作经历").click()
    helpers.check(page, "18-experience")
    page.get_by_label("单位名称").fill("宝安区某服装厂")
    page.get_by_label("岗位", exact=True).fill("质检员")
    page.get_by_label("开始年份").fill("2012")
    page.get_by_label("结束年份").fill("2019")
    submit(page, "添加")
    expect_message(page, "工作经历已添加")
    helpers.check(page, "19-experience-saved")

    me_nav = page.get_by_role("navigation", name="我的求职")
    with page.expect_navigation():
        me_nav.get_by_role("link", name="概览").click()
    expect(page.get_by_text("已填写 6 / 6 项")).to_be_visible()
    # Her child still has to be verified at the bureau: the page says how.
    expect(page.locator(".me-reason-step")).to_contain_text("服务窗口核验一次")
    helpers.check(page, "20-me-home-complete")

    # She looks for 直播 posts that fit her free time.
    go_to_menu_item(page, "找岗位")
    helpers.check(page, "21-jobs")
    with page.expect_navigation():
        page.get_by_role("link", name="工作日 9:00–15:00").click()
    page.get_by_label("关键词").fill("直播")
    submit(page, "搜索")
    results = page.locator("ol.job-cards > li")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("电商直播助理")
    expect(page.get_by_role("status").filter(has_text="共 1 个岗位")).to_be_visible()
    # The address (to bookmark or share) holds only what she chose, and the results
    # are not pushed down by the filter panel she did not use.
    assert set(parse_qs(urlsplit(page.url).query)) == {"free", "q"}, page.url
    expect(page.locator("details.job-filters")).not_to_have_attribute("open", "")
    helpers.check(page, "22-jobs-found")

    with page.expect_navigation():
        results.first.get_by_role("link", name="电商直播助理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("电商直播助理")
    helpers.check(page, "23-job")
    with page.expect_navigation():
        page.get_by_role("link", name="申请该岗位").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申请岗位")
    expect(page.get_by_text("有 100% 在您登记的空闲时间内")).to_be_visible()
    helpers.check(page, "24-apply")
    page.get_by_label("给用人单位的留言").fill("我做过两年直播助理，孩子上学期间都可以工作。")
    submit(page, "确认申请")
    expect_message(page, "申请已提交")
    status = page.locator(".me-status-card .me-status")
    expect(status).to_have_text("已投递")
    helpers.check(page, "25-applied")
    application_url = page.url

    # The employer opens her application and invites her to an interview.
    sms.outbox.clear()
    boss = new_page()
    helpers.login(boss, base, EMPLOYER_PHONE, PASSWORD)
    helpers.check(boss, "30-employer-logged-in")
    go_to_menu_item(boss, "单位工作台")
    with boss.expect_navigation():
        boss.get_by_role("link", name="申请管理").first.click()
    helpers.check(boss, "31-employer-applications")
    with boss.expect_navigation():
        boss.get_by_role("link", name="李晓梅").click()
    helpers.check(boss, "32-employer-application")
    interview_day = timezone.localdate() + datetime.timedelta(days=3)
    boss.get_by_label("面试时间").fill(f"{interview_day:%Y-%m-%d}T10:30")
    boss.get_by_label("面试地点").fill("宝安区新安街道创业路1号3楼，找王经理")
    submit(boss, "发送面试邀请")
    expect_message(boss, "已发出面试邀请")
    helpers.check(boss, "33-employer-invited")

    # Her phone gets a text; her application page shows the new status.
    assert any(m.phone == MOTHER_PHONE for m in sms.outbox), sms.outbox
    page.goto(application_url)
    expect(status).to_have_text("邀请面试")
    expect(page.get_by_text("宝安区新安街道创业路1号3楼，找王经理", exact=True)).to_be_visible()
    expect(page.locator(".me-interview")).to_contain_text(f"{interview_day:%Y-%m-%d} 10:30")
    helpers.check(page, "34-application-interview")
    with page.expect_navigation():
        page.get_by_role("link", name="我的申请").first.click()
    expect(page.get_by_role("main")).to_contain_text(re.compile("邀请面试"))
    helpers.check(page, "35-applications")
