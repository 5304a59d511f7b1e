"""HTML routes of the subsidies app: employers' and her claims, the bureau's review, runs and
contribution imports, and the public notice (公示)."""

from .views import (
    employer,
    public,
    staff,
    staff_contributions,
    staff_payments,
    staff_suspicions,
)

app_name = "subsidies"

urlpatterns = [
    *employer.urlpatterns,
    *staff.urlpatterns,
    *staff_contributions.urlpatterns,
    *staff_payments.urlpatterns,
    *staff_suspicions.urlpatterns,
    *public.urlpatterns,
]
