# Placeholder route names so navigation resolves; the employer-workspace work replaces this module.
from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("employer/", TemplateView.as_view(template_name="core/home.html"), name="workspace"),
    path(
        "employer/registry/",
        TemplateView.as_view(template_name="core/home.html"),
        name="workspace-registry",
    ),
]
