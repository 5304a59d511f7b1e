# Placeholder routes so reverse() works; the public-search work replaces this module.
from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("jobs/", TemplateView.as_view(template_name="core/home.html"), name="job-list"),
    path("jobs/<int:pk>/", TemplateView.as_view(template_name="core/home.html"), name="job-detail"),
]
