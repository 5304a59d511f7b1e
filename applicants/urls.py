"""HTML routes of the applicants app: her area (/me/), applying, the employer's
applications and employments, and the bureau's applicant pages."""

from .views import employer, me, searches, staff

app_name = "applicants"

urlpatterns = [
    *me.urlpatterns,
    *searches.urlpatterns,
    *employer.urlpatterns,
    *staff.urlpatterns,
]
