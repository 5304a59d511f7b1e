"""Template tags for pages outside the applicants app (the staff workspace)."""

from django import template

from applicants.selectors_staff import child_unverified_count_for_staff

register = template.Library()


@register.simple_tag(takes_context=True)
def unverified_child_count(context) -> int:
    """How many children in the user's scope await verification (one query)."""
    user = context["request"].user
    if not user.has_perm("applicants.verify_child"):
        return 0
    return child_unverified_count_for_staff(user=user)
