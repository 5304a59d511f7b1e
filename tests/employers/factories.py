"""Factories for employers and registry entries. Regions come from the shipped file."""

import factory
from django.utils import timezone

from employers.models import Employer, EmployerMembership, ListingPeriod, RegistryEntry
from mamagang.core.identifiers import uscc_check_character, uscc_entity_type
from mamagang.regions.models import Region
from tests.accounts.factories import UserFactory


def make_uscc(n: int, *, prefix: str = "91", division: str = "440306") -> str:
    """Return a valid USCC with subject identifier `n`."""
    body = f"{prefix}{division}{n:09d}"
    return body + uscc_check_character(body)


def district(code: str = "440306") -> Region:
    """Return the district `code` (load it with the `shenzhen_guangzhou` fixture first)."""
    return Region.objects.get(code=code)


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    name = factory.Sequence(lambda n: f"深圳示例科技有限公司{n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    entity_type = factory.LazyAttribute(lambda o: uscc_entity_type(o.uscc))
    sector = Employer.Sector.ECOMMERCE
    district = factory.LazyFunction(district)
    address = "新安街道创业路1号"
    contact_name = "王经理"
    contact_phone = "13912345678"
    size = Employer.Size.SMALL
    has_nursing_room = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmployerMembership

    employer = factory.SubFactory(EmployerFactory)
    user = factory.SubFactory(UserFactory)
    role = EmployerMembership.Role.ADMIN


class RegistryEntryFactory(factory.django.DjangoModelFactory):
    """A registry entry; traits set the status with consistent attribution."""

    class Meta:
        model = RegistryEntry
        skip_postgeneration_save = True

    employer = factory.SubFactory(EmployerFactory)
    district = factory.LazyAttribute(lambda o: o.employer.district)
    status = RegistryEntry.Status.DRAFT
    declared_posts = 3
    declaration = "上午9点至下午3点弹性上班，方便接送孩子。"

    class Params:
        submitted = factory.Trait(
            status=RegistryEntry.Status.SUBMITTED,
            declaration_confirmed=True,
            submitted_by=factory.SubFactory(UserFactory),
            submitted_at=factory.LazyFunction(timezone.now),
        )
        approved = factory.Trait(
            status=RegistryEntry.Status.APPROVED,
            declaration_confirmed=True,
            submitted_by=factory.SubFactory(UserFactory),
            submitted_at=factory.LazyFunction(timezone.now),
            decided_by=factory.SubFactory(UserFactory),
            decided_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def listing(obj, create, extracted, **kwargs):  # noqa: N805
        """An approved entry gets its open listing period, as the service would."""
        if create and obj.status == RegistryEntry.Status.APPROVED:
            ListingPeriod.objects.create(
                employer=obj.employer, entry=obj, listed_from=timezone.localdate(obj.decided_at)
            )
