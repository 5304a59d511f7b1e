import logging

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView

from .selectors import notification_list_for_user
from .services import notification_mark_read

logger = logging.getLogger(__name__)


class HomeView(TemplateView):
    template_name = "core/home.html"


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not_configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """Answer 200 when PostgreSQL (and Redis, if configured) respond, else 503."""
    checks: dict[str, str] = {}
    healthy = True
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure means unhealthy; the kind is enough
            logger.warning("health check %s failed: %s", name, exc.__class__.__name__)
            checks[name] = "error"
            healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "core/notification_list.html"
    paginate_by = 20
    context_object_name = "notifications"

    def get_queryset(self):
        return notification_list_for_user(user=self.request.user)


class NotificationReadView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = get_object_or_404(notification_list_for_user(user=request.user), pk=pk)
        notification_mark_read(notification=notification, now=timezone.now())
        if notification.link and url_has_allowed_host_and_scheme(
            notification.link, allowed_hosts={request.get_host()}
        ):
            return redirect(notification.link)
        return redirect("core:notification-list")
