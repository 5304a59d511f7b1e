"""
Fixes found by the browser journeys (issue 7) in the bureau's applicant page: it returns to
the page that sent staff to check her papers, and its tables read as cards on phones.
"""

import pytest
from django.urls import reverse
from django.utils.html import escape

from mamagang.accounts.services import staff_scope_grant
from tests.applicants.factories import make_mother

pytestmark = pytest.mark.django_db


@pytest.fixture
def baoan_staff(shenzhen_guangzhou, staff_user):
    staff_scope_grant(user=staff_user, region=shenzhen_guangzhou["440306"], granted_by=None)
    return staff_user


@pytest.fixture
def mother(shenzhen_guangzhou):
    return make_mother(full_name="赵敏", children=[(2020, 5, False)])


def test_staff_applicant_page_without_next_keeps_its_own_links(client, baoan_staff, mother):
    client.force_login(baoan_staff)
    url = reverse("applicants:staff-applicant-detail", args=[mother.pk])

    html = client.get(url).text

    assert f'<input type="hidden" name="next" value="{url}">' in html
    assert "← 返回求职者列表" in html
    assert "← 返回刚才的页面" not in html


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/steal", "//evil.example/x", "javascript:alert(1)"]
)
def test_staff_applicant_page_ignores_a_next_to_another_site(client, baoan_staff, mother, unsafe):
    client.force_login(baoan_staff)
    url = reverse("applicants:staff-applicant-detail", args=[mother.pk])

    html = client.get(url, {"next": unsafe}).text

    assert "← 返回刚才的页面" not in html
    assert f'href="{escape(unsafe)}"' not in html
    assert f'value="{escape(unsafe)}"' not in html
    assert f'<input type="hidden" name="next" value="{url}">' in html


def test_staff_applicant_page_tables_carry_column_names_for_phones(client, baoan_staff, mother):
    client.force_login(baoan_staff)

    html = client.get(reverse("applicants:staff-applicant-detail", args=[mother.pk])).text

    assert '<table class="card-table">' in html
    assert '<td data-label="出生年月">2020-05</td>' in html
