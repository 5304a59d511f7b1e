"""REST routes of the applicants app."""

urlpatterns: list = []
