# Placeholder route names so navigation resolves; the staff-workspace work replaces this module.
from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path(
        "staff/registry/",
        TemplateView.as_view(template_name="core/home.html"),
        name="staff-registry-queue",
    ),
]
