# Placeholder route names so navigation resolves; the public-registry work replaces this module.
from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("registry/", TemplateView.as_view(template_name="core/home.html"), name="registry-index"),
]
