"""placeholder, filled in this change"""

urlpatterns: list = []
