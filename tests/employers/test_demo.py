import pytest

from employers.demo import demo_employers_load
from employers.models import Employer, RegistryEdition, RegistryEntry
from mamagang.core.demo import demo_users_load
from tests.conftest import load_shipped_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_regions():
    return load_shipped_regions("4403", "440106")


def test_demo_employers_cover_every_registry_state_and_two_editions(demo_regions):
    demo_users_load()

    demo_employers_load()

    statuses = set(RegistryEntry.objects.values_list("status", flat=True))
    assert statuses == set(RegistryEntry.Status.values)
    districts = set(Employer.objects.values_list("district__code", flat=True))
    assert len(districts) >= 3
    baoan_editions = RegistryEdition.objects.filter(region__code="440306").order_by("number")
    assert [e.number for e in baoan_editions] == [1, 2]
    assert baoan_editions[1].diff["added"]


def test_demo_employers_load_is_idempotent(demo_regions):
    demo_users_load()
    demo_employers_load()
    counts = (
        Employer.objects.count(),
        RegistryEntry.objects.count(),
        RegistryEdition.objects.count(),
    )

    demo_users_load()
    demo_employers_load()

    assert (
        Employer.objects.count(),
        RegistryEntry.objects.count(),
        RegistryEdition.objects.count(),
    ) == counts
