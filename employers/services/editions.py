"""
Published registry editions (名录, DOMAIN.md §2.4 and §2.8): an immutable,
numbered snapshot of a district's or a city's listed employers, with the
change from the previous edition and a SHA-256 of its canonical content so
anyone can check a download against the published page.

Editions are published on a schedule (Celery beat calls
`registry_editions_publish_due` hourly; each region is due at its own day
and hour) or on demand by staff. A new edition is created only when the
content changed, so running the publisher twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.models import (
    FACILITY_FLAGS,
    Employer,
    ListingPeriod,
    RegistryEdition,
    RegistryEntry,
    RegistrySchedule,
)
from employers.selectors_public import employer_open_post_counts
from mamagang.accounts.models import User
from mamagang.accounts.selectors import user_may_act_on_region
from mamagang.core.audit import audit_record
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

logger = logging.getLogger(__name__)

PUBLISHABLE_LEVELS = (Region.Level.DISTRICT, Region.Level.CITY)

# Schedule of a region without a RegistrySchedule row: the 1st, 09:00 Beijing time.
DEFAULT_DAY_OF_MONTH = 1
DEFAULT_HOUR = 9

# Facility flag on Employer -> code stored in the content.
FACILITY_FIELDS: dict[str, str] = {flag: code for code, flag in FACILITY_FLAGS.items()}

# The public fields of one employer in an edition, in display order. Contact
# name and phone are deliberately absent (EXPECTATIONS.md, contact privacy).
CONTENT_FIELDS = (
    "uscc",
    "name",
    "entity_type",
    "district_code",
    "district_name",
    "street_code",
    "street_name",
    "sector",
    "facilities",
    "listed_from",
    "open_posts",
)


def _open_post_counts(employer_ids: list[int], *, now: datetime) -> dict[int, int]:
    """Return {employer id: number of open 妈妈岗 posts on `now`'s date}; missing ids mean 0."""
    return employer_open_post_counts(employer_ids=employer_ids, today=timezone.localdate(now))


def registry_edition_content(*, region: Region, now: datetime) -> list[dict[str, Any]]:
    """
    Return the canonical content of `region`'s registry at `now`: one dict of
    public fields per employer whose registry entry is approved and whose
    district is `region` (or, for a city, any of its districts), sorted by
    USCC. One query whatever the size.
    """
    # The current listing period; an approved entry always has an open one,
    # the ordering only makes the pick deterministic for odd imported data.
    listed_from = (
        ListingPeriod.objects.filter(employer=OuterRef("pk"))
        .order_by(F("listed_until").desc(nulls_first=True), "-listed_from", "-pk")
        .values("listed_from")[:1]
    )
    employers = list(
        Employer.objects.filter(
            registry_entries__status=RegistryEntry.Status.APPROVED,
            district__code__startswith=region_code_prefix(region),
        )
        .select_related("district", "street")
        .annotate(current_listed_from=Subquery(listed_from))
        .only(
            "uscc",
            "name",
            "entity_type",
            "sector",
            "district__code",
            "district__name",
            "street__code",
            "street__name",
            *FACILITY_FIELDS,
        )
        .order_by("uscc")
    )
    post_counts = _open_post_counts([employer.pk for employer in employers], now=now)
    return [
        {
            "uscc": employer.uscc,
            "name": employer.name,
            "entity_type": employer.entity_type,
            "district_code": employer.district.code,
            "district_name": employer.district.name,
            "street_code": employer.street.code if employer.street else None,
            "street_name": employer.street.name if employer.street else None,
            "sector": employer.sector,
            "facilities": sorted(
                code for field, code in FACILITY_FIELDS.items() if getattr(employer, field)
            ),
            "listed_from": (
                employer.current_listed_from.isoformat() if employer.current_listed_from else None
            ),
            "open_posts": int(post_counts.get(employer.pk, 0)),
        }
        for employer in employers
    ]


def registry_edition_canonical_json(content: list[dict[str, Any]]) -> bytes:
    """Return the canonical UTF-8 JSON of `content`, the bytes that are hashed."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def registry_edition_hash(content: list[dict[str, Any]]) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of `content`."""
    return hashlib.sha256(registry_edition_canonical_json(content)).hexdigest()


def registry_edition_diff(
    previous: list[dict[str, Any]] | None, current: list[dict[str, Any]]
) -> dict[str, list[Any]]:
    """
    Return what changed from `previous` to `current`, keyed by USCC:
    {"added": [uscc…], "removed": [uscc…], "changed": [{"uscc", "fields"}…]},
    each sorted. Without a previous edition everything is "added".
    """
    before = {row["uscc"]: row for row in previous or []}
    after = {row["uscc"]: row for row in current}
    changed = []
    for uscc in sorted(before.keys() & after.keys()):
        old, new = before[uscc], after[uscc]
        fields = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
        if fields:
            changed.append({"uscc": uscc, "fields": fields})
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": changed,
    }


def _ensure_may_publish(*, region: Region, user: User) -> None:
    """Defense in depth: the staff interface checks the same before calling."""
    if not user.has_perm("employers.publish_registryedition"):
        raise DomainError(_("您没有发布名录的权限。"), code="registry_edition_no_permission")
    if not user_may_act_on_region(user=user, region_code=region.code):
        raise DomainError(_("该地区不在您的辖区内。"), code="registry_edition_out_of_scope")


@transaction.atomic
def registry_edition_publish(
    *, region: Region, published_by: User | None, now: datetime | None = None
) -> RegistryEdition | None:
    """
    Publish the next edition of `region`'s registry if its content changed
    since the latest edition; return it, or None when nothing changed (or
    when a first edition would list no employer).

    `published_by` is None for scheduled publication; a staff member
    publishing on demand needs the publish permission and the region in
    scope. Raise DomainError for a region that is neither a district nor a
    city, or for a staff member who may not publish it. Writes an audit row.
    """
    now = now or timezone.now()
    if region.level not in PUBLISHABLE_LEVELS:
        raise DomainError(_("只能发布区县或地级市的名录。"), code="registry_edition_region_level")
    if published_by is not None:
        _ensure_may_publish(region=region, user=published_by)

    # Serialise publishers of one region (beat and a staff click at once):
    # the second waits, then finds the first one's edition and the same hash.
    # FOR NO KEY UPDATE does not block the FK checks (FOR KEY SHARE) of rows
    # that reference the region, so approvals carry on meanwhile.
    region = Region.objects.select_for_update(no_key=True).get(pk=region.pk)

    content = registry_edition_content(region=region, now=now)
    content_sha256 = registry_edition_hash(content)
    latest = (
        RegistryEdition.objects.filter(region=region)
        .only("pk", "number", "content", "content_sha256")
        .order_by("-number")
        .first()
    )
    if latest is None and not content:
        # No first edition without an employer; later ones may be empty
        # (everyone removed), and that change is worth publishing.
        return None
    if latest is not None and latest.content_sha256 == content_sha256:
        return None

    diff = registry_edition_diff(latest.content if latest else None, content)
    edition = RegistryEdition(
        region=region,
        number=latest.number + 1 if latest else 1,
        published_at=now,
        published_by=published_by,
        employer_count=len(content),
        content=content,
        content_sha256=content_sha256,
        diff=diff,
    )
    # An empty list is valid content, though JSONField treats it as blank.
    edition.full_clean(exclude=["content", "diff"])
    edition.save()
    audit_record(
        actor=published_by,
        action="registry_edition.published",
        obj=edition,
        after={
            "region": region.code,
            "number": edition.number,
            "employer_count": edition.employer_count,
            "content_sha256": content_sha256,
            "added": len(diff["added"]),
            "removed": len(diff["removed"]),
            "changed": len(diff["changed"]),
        },
    )
    return edition


def registry_regions_due(*, now: datetime) -> list[Region]:
    """
    Return the regions whose scheduled publication falls in the hour of
    `now` (Beijing time): every district that has ever had a registry entry,
    and the cities above them. A region without a schedule row publishes on
    the 1st at 09:00; a disabled row never publishes automatically. Two
    queries whatever the number of regions.
    """
    local = timezone.localtime(now)
    entries = RegistryEntry.objects.all()
    # The reviewing district, and the employer's own in case it moved since.
    # A city without districts (东莞, 中山) is its own county-level unit.
    county_level = list(
        Region.objects.filter(
            Q(pk__in=entries.values("district_id"))
            | Q(pk__in=entries.values("employer__district_id"))
        )
        .select_related("parent")
        .order_by("code")
    )
    cities: dict[int, Region] = {}
    districts: list[Region] = []
    for region in county_level:
        if region.level == Region.Level.CITY:
            cities[region.pk] = region
        elif region.level == Region.Level.DISTRICT:
            districts.append(region)
            if region.parent is not None and region.parent.level == Region.Level.CITY:
                cities[region.parent.pk] = region.parent
    candidates = [*cities.values(), *districts]
    schedules = {
        schedule.region_id: schedule
        for schedule in RegistrySchedule.objects.filter(
            region_id__in=[region.pk for region in candidates]
        )
    }

    def is_due(region: Region) -> bool:
        schedule = schedules.get(region.pk)
        if schedule is None:
            return local.day == DEFAULT_DAY_OF_MONTH and local.hour == DEFAULT_HOUR
        return schedule.enabled and (local.day, local.hour) == (
            schedule.day_of_month,
            schedule.hour,
        )

    return sorted((region for region in candidates if is_due(region)), key=lambda r: r.code)


def registry_editions_publish_due(*, now: datetime) -> list[RegistryEdition]:
    """
    Publish every region due at `now` whose content changed; return the new
    editions. Safe to run twice in the same hour (the second run finds the
    same hashes). Each region commits on its own, and a region that fails is
    logged and skipped so the others still publish.
    """
    published = []
    for region in registry_regions_due(now=now):
        try:
            edition = registry_edition_publish(region=region, published_by=None, now=now)
        except Exception:
            logger.exception("Publishing the registry edition of region %s failed", region.code)
            continue
        if edition is not None:
            published.append(edition)
    return published
