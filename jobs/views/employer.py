# Placeholder routes so reverse() works; the employer-side work replaces this module.
from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path(
        "employer/jobs/<int:pk>/",
        TemplateView.as_view(template_name="core/home.html"),
        name="employer-job-detail",
    ),
]
