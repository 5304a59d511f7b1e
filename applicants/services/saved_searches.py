"""
Saved job searches and their digests: she saves a search of /jobs/ (its
query string, normalised and validated by jobs.filters.JobFilter) and
gets a daily or weekly notification, also e-mailed, listing the posts
published since the last one.
"""

from __future__ import annotations

import datetime
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.filters import JobFilter, Sort
from jobs.models import Job
from jobs.selectors import job_list_public
from mamagang.accounts.models import User
from mamagang.core.audit import audit_record, snapshot
from mamagang.core.emails import email_render
from mamagang.core.exceptions import DomainError
from mamagang.core.services import notifications_bulk_send

from ..models import SavedSearch

logger = logging.getLogger(__name__)

MAX_SAVED_SEARCHES = 20
DIGEST_KIND = "saved_search.digest"
DIGEST_MAX_POSTS = 10
DIGEST_CHUNK = 200
# A little under a day (a week) so a beat schedule that drifts by minutes
# still sends every day (week); the boundary is "<=".
DUE_AFTER = {
    SavedSearch.Frequency.DAILY: datetime.timedelta(hours=23),
    SavedSearch.Frequency.WEEKLY: datetime.timedelta(days=6, hours=23),
}
# Parameters of /jobs/ that do not change which posts match: the page, and
# the order (digests are always newest first).
IGNORED_PARAMETERS = frozenset({"page", "sort"})


def saved_search_normalise_query(query: str) -> str:
    """
    Return `query` (a /jobs/ query string, with or without "?") in one
    canonical form: only the parameters JobFilter knows, without the page
    and the sort order, empty values dropped, keys and values sorted. Two
    searches for the same posts get the same string.
    """
    params = QueryDict(query.lstrip("?"))
    known = set(JobFilter.base_filters) - IGNORED_PARAMETERS
    pairs = [
        (key, value.strip())
        for key in sorted(known & set(params))
        for value in sorted(set(params.getlist(key)))
        if value.strip()
    ]
    return urlencode(pairs)


def _validate_query(query: str) -> None:
    filterset = JobFilter(QueryDict(query))
    if filterset.is_valid():
        return
    form = filterset.form
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.extend(f"{label}：{error}" if label else str(error) for error in errors)
    raise ValidationError(
        {"query": [_("搜索条件有误：%(errors)s") % {"errors": "；".join(messages)}]},
        code="invalid_query",
    )


def _ensure_owner(saved_search: SavedSearch, user: User) -> None:
    if saved_search.user_id != user.pk:
        raise DomainError(_("这不是您保存的搜索。"), code="saved_search_not_yours")


@transaction.atomic
def saved_search_create(
    *,
    user: User,
    name: str,
    query: str,
    frequency: str,
    now: datetime.datetime | None = None,
) -> SavedSearch:
    """
    Save a search of /jobs/ for `user`. Only posts published after now
    count as new for the first digest.

    Raise ValidationError if the query is invalid, the name or frequency is
    wrong, or she already saved the same search; DomainError if she has
    MAX_SAVED_SEARCHES already.
    """
    now = now or timezone.now()
    query = saved_search_normalise_query(query)
    _validate_query(query)
    # Lock her user row so two quick saves cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    searches = SavedSearch.objects.filter(user=user)
    if searches.filter(query=query).exists():
        raise ValidationError(
            {"query": [_("您已经保存过同样条件的搜索。")]}, code="saved_search_duplicate"
        )
    if searches.count() >= MAX_SAVED_SEARCHES:
        raise DomainError(
            _("最多可以保存%(n)s个搜索，请先删除不再需要的。") % {"n": MAX_SAVED_SEARCHES},
            code="saved_search_limit",
        )
    saved_search = SavedSearch(
        user=user, name=name.strip(), query=query, frequency=frequency, last_sent_at=now
    )
    saved_search.full_clean()
    saved_search.save()
    audit_record(
        actor=user,
        action="saved_search.created",
        obj=saved_search,
        after=snapshot(saved_search, ["name", "query", "frequency"]),
    )
    return saved_search


@transaction.atomic
def saved_search_update(
    *,
    saved_search: SavedSearch,
    by: User,
    name: str,
    frequency: str,
    now: datetime.datetime | None = None,
) -> SavedSearch:
    """
    Rename `saved_search` or change how often it is sent. Turning digests
    back on (from "never") starts counting new posts from now, so the
    first digest does not list everything since she turned them off.

    Raise DomainError if it is not `by`'s; ValidationError for a wrong name
    or frequency.
    """
    _ensure_owner(saved_search, by)
    now = now or timezone.now()
    fields = ["name", "frequency"]
    before = snapshot(saved_search, fields)
    never = SavedSearch.Frequency.NEVER
    if saved_search.frequency == never and frequency != never:
        saved_search.last_sent_at = now
    saved_search.name = name.strip()
    saved_search.frequency = frequency
    saved_search.full_clean(exclude=["user"])
    saved_search.save(update_fields=[*fields, "last_sent_at", "updated_at"])
    audit_record(
        actor=by,
        action="saved_search.updated",
        obj=saved_search,
        before=before,
        after=snapshot(saved_search, fields),
    )
    return saved_search


@transaction.atomic
def saved_search_delete(*, saved_search: SavedSearch, by: User) -> None:
    """Delete `saved_search`. Raise DomainError if it is not `by`'s."""
    _ensure_owner(saved_search, by)
    audit_record(
        actor=by,
        action="saved_search.deleted",
        obj=saved_search,
        before=snapshot(saved_search, ["name", "query", "frequency"]),
    )
    saved_search.delete()


# Digests ----------------------------------------------------------------------


def _new_posts(
    saved_search: SavedSearch, *, today: datetime.date, now: datetime.datetime
) -> list[Job] | None:
    """
    Return up to DIGEST_MAX_POSTS + 1 public posts matching the search and
    published in (last_sent_at, now], newest first (one query); None if the
    stored query no longer validates.
    """
    data = QueryDict(saved_search.query, mutable=True)
    data["sort"] = Sort.NEWEST
    # Only what the digest shows: fewer joins and columns keep each of the
    # many small queries cheap to plan and to compile.
    base = (
        job_list_public(today=today)
        .prefetch_related(None)
        .select_related(None)
        .select_related("employer", "district")
        .only("pk", "title", "published_at", "employer__name", "district__name")
        .filter(published_at__gt=saved_search.last_sent_at, published_at__lte=now)
    )
    filterset = JobFilter(data, queryset=base)
    if not filterset.is_valid():
        return None
    return list(filterset.qs.order_by("-published_at", "-pk")[: DIGEST_MAX_POSTS + 1])


def _digest_message(saved_search: SavedSearch, posts: list[Job]) -> tuple[str, str, str]:
    """Return (title, body, link) of one digest from the e-mail template pair."""
    site = settings.MAMAGANG_SITE_URL.rstrip("/")
    link = "/jobs/" + (f"?{saved_search.query}" if saved_search.query else "")
    shown = posts[:DIGEST_MAX_POSTS]
    context = {
        "saved_search": saved_search,
        "count": len(shown),
        "more": len(posts) > DIGEST_MAX_POSTS,
        "posts": [
            {
                "title": job.title,
                "employer": job.employer.name,
                "district": job.district.name,
                "url": site + job.get_absolute_url(),
            }
            for job in shown
        ],
        "search_url": site + link,
        "list_url": site + "/me/searches/",
    }
    with translation.override(settings.LANGUAGE_CODE):
        title, body = email_render(template="email/applicants/digest", context=context)
    return title, body.strip(), link


def saved_searches_send_digests(*, frequency: str, now: datetime.datetime) -> int:
    """
    Send the due digests of `frequency` ("daily" or "weekly") and return how
    many went out.

    A search is due when its last digest is at least 23 hours (6 days 23
    hours) old and its user is active. Each due search costs one query for
    its new posts; notifications (e-mailed after commit) and the new
    last_sent_at are written per chunk of DIGEST_CHUNK searches, in id order,
    each chunk in its own transaction, so a crash loses at most one chunk's
    work and a rerun continues. Searches without new posts only move
    last_sent_at. Running twice with the same `now` sends nothing the
    second time; rows locked by a concurrent run are skipped.
    """
    if frequency not in DUE_AFTER:
        raise ValueError(f"no digests for frequency {frequency!r}")
    cutoff = now - DUE_AFTER[frequency]
    today = timezone.localdate(now)
    sent = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            chunk = list(
                SavedSearch.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(
                    frequency=frequency,
                    last_sent_at__lte=cutoff,
                    user__is_active=True,
                    pk__gt=last_pk,
                )
                .order_by("pk")[:DIGEST_CHUNK]
            )
            if not chunk:
                return sent
            last_pk = chunk[-1].pk
            items = []
            for saved_search in chunk:
                posts = _new_posts(saved_search, today=today, now=now)
                if posts is None:
                    logger.warning("saved search %s: query no longer valid", saved_search.pk)
                elif posts:
                    title, body, link = _digest_message(saved_search, posts)
                    items.append((saved_search.user, DIGEST_KIND, title, body, link))
            if items:
                notifications_bulk_send(items=items, email=True)
            SavedSearch.objects.filter(pk__in=[s.pk for s in chunk]).update(
                last_sent_at=now, updated_at=timezone.now()
            )
            sent += len(items)
