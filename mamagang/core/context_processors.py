"""Navigation by role: built from permissions, never from group names."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .selectors import notification_unread_count

# (permission or None for everyone, URL name, label), in menu order. Apps add theirs.
NAV_SECTIONS = [
    (None, "jobs:job-list", _("找岗位")),
    (None, "employers:registry-index", _("用人单位名录")),
    (None, "subsidies:publicity", _("补贴公示")),
    ("accounts.use_applicant_area", "applicants:me-home", _("我的求职")),
    ("accounts.use_employer_workspace", "employers:workspace", _("单位工作台")),
    ("accounts.use_staff_workspace", "accounts:staff-workspace", _("工作台")),
    ("employers.decide_registryentry", "employers:staff-registry-queue", _("名录审核")),
    ("jobs.moderate_job", "jobs:staff-job-queue", _("岗位审核")),
]


def navigation(request):
    """Add `nav_roles` (role areas the user may open) and a lazy unread count."""
    user = getattr(request, "user", None)
    items = []
    unread = 0
    authenticated = user is not None and user.is_authenticated
    for perm, url_name, label in NAV_SECTIONS:
        if perm is None or (authenticated and user.has_perm(perm)):
            items.append({"label": label, "url": reverse(url_name)})
    if authenticated:
        # Lazy: the query runs only if a template shows the count.
        unread = SimpleLazyObject(lambda: notification_unread_count(user=user))
    return {"nav_roles": items, "nav_unread_count": unread}
