"""Fixes the mother's browser journey exposed on the profile form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.applicants.factories import make_mother

pytestmark = pytest.mark.django_db


def test_profile_form_explains_what_is_required_without_promising_asterisks(
    client, shenzhen_guangzhou, applicant
):
    client.force_login(applicant)

    html = client.get(reverse("applicants:me-profile-create")).content.decode()

    # No field carries a "*": the page said "带 * 的信息必须填写" all the same.
    assert "带 *" not in html
    assert "除标明“选填”的以外都需要填写" in html
    assert "街道/乡镇（选填）" in html


def test_dashboard_says_what_to_do_about_an_unverified_child(client, shenzhen_guangzhou, applicant):
    make_mother(user=applicant, children=[(2020, 3, False)])
    client.force_login(applicant)

    html = client.get(reverse("applicants:me-home")).content.decode()

    assert "子女证明材料尚未经人社部门核验" in html
    assert "到居住地区人社局或街道服务窗口核验一次" in html
    assert f'<a href="{reverse("applicants:me-children")}">查看登记的子女</a>' in html


def test_dashboard_says_what_to_do_without_a_child(client, shenzhen_guangzhou, applicant):
    make_mother(user=applicant, children=[])
    client.force_login(applicant)

    html = client.get(reverse("applicants:me-home")).content.decode()

    assert "没有符合年龄条件的子女" in html
    assert "请在“子女和家庭照护”中登记孩子的出生年月。" in html


def test_dashboard_of_an_eligible_mother_lists_no_steps(client, shenzhen_guangzhou, applicant):
    make_mother(user=applicant)  # one verified child born 2019-03
    client.force_login(applicant)

    html = client.get(reverse("applicants:me-home")).content.decode()

    assert "符合条件" in html
    assert "me-reason-step" not in html
