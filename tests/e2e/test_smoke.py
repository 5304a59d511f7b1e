"""The harness itself: the home page at both viewports passes `check`; login works."""

from django.contrib.auth.models import Group

from mamagang.accounts.roles import Role
from tests.accounts.factories import PASSWORD, UserFactory

from . import helpers


def test_home_page_passes_checks(live_server, reference_data, new_page):
    page = new_page()
    page.goto(live_server.url + "/")
    helpers.check(page, "home")
    helpers.open_menu_if_collapsed(page)
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link", name="登录", exact=True).is_visible()
    assert nav.get_by_role("link", name="找岗位").is_visible()


def test_login_helper_logs_in(live_server, reference_data, new_page):
    user = UserFactory(phone="13912345678")
    user.groups.add(Group.objects.get(name=Role.APPLICANT))
    page = new_page()
    helpers.login(page, live_server.url, "13912345678", PASSWORD)
    helpers.open_menu_if_collapsed(page)
    assert page.get_by_role("button", name="退出登录").is_visible()
