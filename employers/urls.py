"""HTML routes of the employers app: public registry, employer workspace, staff workspace."""

from .views import public, staff, workspace

app_name = "employers"

urlpatterns = [*public.urlpatterns, *workspace.urlpatterns, *staff.urlpatterns]
