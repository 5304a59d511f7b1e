"""REST routes of the jobs app: public search, and the employer and staff actions."""

from . import apis, apis_public

urlpatterns = [*apis_public.urlpatterns, *apis.urlpatterns]
