"""HTML routes of the applicants app: her area (/me/), applying, the employer's
applications and employments, and the bureau's applicant pages."""

from .views import employer, me, searches, staff, staff_policies

app_name = "applicants"

urlpatterns = [
    *me.urlpatterns,
    *searches.urlpatterns,
    *employer.urlpatterns,
    *staff.urlpatterns,
    *staff_policies.urlpatterns,
]
