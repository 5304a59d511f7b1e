"""
The employer a workspace user is acting for. A user may belong to several
employers; the one she works on is kept in the session and re-checked
against her memberships on every request, so a removed membership stops
working at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .selectors import employer_list_for_member

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Employer

SESSION_KEY = "employers_current_employer"
# Per-request memo, so several helpers in one request cost one query.
_CACHE_ATTR = "_current_employer_cache"


def current_employer(request: HttpRequest) -> Employer | None:
    """
    Return the employer the user is working for: the one kept in the session
    if she still belongs to it, else her first membership, else None.
    """
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    employers = employer_list_for_member(user=request.user)
    employer = None
    pk = request.session.get(SESSION_KEY)
    if isinstance(pk, int):
        employer = employers.filter(pk=pk).first()
    if employer is None:
        # A stale id (membership removed) or none yet: fall back quietly.
        employer = employers.first()
        if employer is not None and pk != employer.pk:
            request.session[SESSION_KEY] = employer.pk
        elif employer is None and pk is not None:
            del request.session[SESSION_KEY]
    setattr(request, _CACHE_ATTR, employer)
    return employer


def set_current_employer(request: HttpRequest, employer: Employer) -> None:
    """
    Make `employer` the one the user works for. The caller must have checked
    that she belongs to it (fetch it through employer_list_for_member).
    """
    request.session[SESSION_KEY] = employer.pk
    setattr(request, _CACHE_ATTR, employer)


def forget_current_employer(request: HttpRequest) -> None:
    """Drop the remembered employer (after leaving it)."""
    request.session.pop(SESSION_KEY, None)
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)
