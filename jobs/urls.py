"""HTML routes of the jobs app: public search, the employer's posts, staff moderation."""

from .views import employer, public, staff

app_name = "jobs"

urlpatterns = [*public.urlpatterns, *employer.urlpatterns, *staff.urlpatterns]
