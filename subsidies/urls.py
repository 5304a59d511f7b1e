"""HTML routes of the subsidies app: employers' and her claims, the bureau's review, runs and
contribution imports, and the public notice (公示)."""

from .views import (
    employer,
    employer_bases,
    public,
    staff,
    staff_bases,
    staff_contributions,
    staff_dashboard,
    staff_payments,
    staff_policies,
    staff_suspicions,
)

app_name = "subsidies"

urlpatterns = [
    *employer.urlpatterns,
    *employer_bases.urlpatterns,
    *staff.urlpatterns,
    *staff_contributions.urlpatterns,
    *staff_payments.urlpatterns,
    *staff_suspicions.urlpatterns,
    *staff_dashboard.urlpatterns,
    *staff_policies.urlpatterns,
    *staff_bases.urlpatterns,
    *public.urlpatterns,
]
