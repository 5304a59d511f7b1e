"""
Read use-cases of the public registry pages: published editions and the
profiles of listed employers. Everything here is public; nothing returns
contact names or phone numbers to a template.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Func, IntegerField, Prefetch, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from mamagang.regions.models import Region

from .models import Employer, ListingPeriod, RegistryEdition, RegistryEntry


def _array_length(key: str) -> Func:
    return Func(
        KeyTransform(key, "diff"), function="jsonb_array_length", output_field=IntegerField()
    )


@dataclass
class CityRegistry:
    """One city on the registry index: its own edition and its districts'."""

    city: Region
    edition: RegistryEdition | None = None
    districts: list[RegistryEdition] = field(default_factory=list)


def employer_open_post_counts(
    *, employer_ids: list[int], today: datetime.date | None = None
) -> dict[int, int]:
    """
    Return {employer id: open 妈妈岗 posts}; ids without posts are missing.
    Open means published and valid on `today` (default: today in Beijing).
    One grouped query over the reverse relation `jobs`, so this app does not
    import the jobs app (lower apps never import higher ones).
    """
    if not employer_ids:
        return {}
    today = today or timezone.localdate()
    return dict(
        Employer.objects.filter(
            pk__in=employer_ids,
            jobs__status="published",
            jobs__valid_from__lte=today,
            jobs__valid_until__gte=today,
        )
        .order_by()
        .values("pk")
        .annotate(open_posts=Count("jobs"))
        .values_list("pk", "open_posts")
    )


def registry_edition_latest_list() -> list[RegistryEdition]:
    """
    Return the latest edition of every region that has one, without content
    or diff, with the region, its parent and grandparent. One query
    (PostgreSQL DISTINCT ON).
    """
    return list(
        RegistryEdition.objects.select_related("region", "region__parent", "region__parent__parent")
        .defer("content", "diff")
        .order_by("region_id", "-number")
        .distinct("region_id")
    )


def registry_index() -> list[CityRegistry]:
    """
    Return the cities that have a published edition (their own or one of
    their districts'), sorted by code, each with its latest city edition and
    its districts' latest editions. One query.
    """
    cities: dict[int, CityRegistry] = {}
    for edition in registry_edition_latest_list():
        region = edition.region
        if region.level == Region.Level.CITY:
            cities.setdefault(region.pk, CityRegistry(city=region)).edition = edition
        elif region.parent is not None:
            cities.setdefault(region.parent.pk, CityRegistry(city=region.parent)).districts.append(
                edition
            )
    for entry in cities.values():
        entry.districts.sort(key=lambda e: e.region.code)
    return sorted(cities.values(), key=lambda c: c.city.code)


def registry_edition_list_for_region(*, region_code: str) -> QuerySet[RegistryEdition]:
    """
    Return the editions of the region with `region_code`, newest first,
    without content or diff, annotated with `added_count`, `removed_count`
    and `changed_count`, with the region and its parent loaded.
    """
    return (
        RegistryEdition.objects.filter(region__code=region_code)
        .select_related("region", "region__parent")
        .defer("content", "diff")
        .annotate(
            added_count=_array_length("added"),
            removed_count=_array_length("removed"),
            changed_count=_array_length("changed"),
        )
        .order_by("-number")
    )


def registry_edition_list_public() -> QuerySet[RegistryEdition]:
    """Return all editions, with content, diff, the region and its parent."""
    return RegistryEdition.objects.select_related("region", "region__parent")


def registry_edition_content_get(*, edition_id: int) -> list[dict]:
    """Return the content of one edition (one query, content column only)."""
    return RegistryEdition.objects.filter(pk=edition_id).values_list("content", flat=True).get()


def registry_edition_previous_content(*, edition: RegistryEdition) -> list[dict] | None:
    """Return the content of the edition before `edition`, or None for the first."""
    if edition.number <= 1:
        return None
    return (
        RegistryEdition.objects.filter(region_id=edition.region_id, number=edition.number - 1)
        .values_list("content", flat=True)
        .first()
    )


def employer_ids_listed_by_uscc(*, usccs: list[str]) -> dict[str, int]:
    """
    Return {uscc: employer id} for the employers among `usccs` that are
    listed now, i.e. whose public profile exists. One query.
    """
    if not usccs:
        return {}
    return dict(
        Employer.objects.filter(
            uscc__in=usccs, registry_entries__status=RegistryEntry.Status.APPROVED
        ).values_list("uscc", "pk")
    )


def employer_list_public_profile() -> QuerySet[Employer]:
    """
    Return the currently listed employers with their districts and listing
    history, loading only public fields (never the contact or address).
    """
    return (
        Employer.objects.filter(registry_entries__status=RegistryEntry.Status.APPROVED)
        .select_related("district", "district__parent", "street")
        .defer("contact_name", "contact_phone", "address", "specialist", "created_by")
        .prefetch_related(
            Prefetch(
                "listing_periods",
                queryset=ListingPeriod.objects.only(
                    "pk", "employer_id", "listed_from", "listed_until"
                ).order_by("listed_from", "pk"),
            )
        )
    )
