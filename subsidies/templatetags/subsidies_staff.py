"""Template tags for pages outside the subsidies app (the staff workspace)."""

from django import template

from subsidies.selectors_staff import claim_line_open_count_for_staff

register = template.Library()


@register.simple_tag(takes_context=True)
def open_claim_line_count(context) -> int:
    """How many claim lines in the user's scope await review (one query)."""
    user = context["request"].user
    if not user.has_perm("subsidies.review_claimline"):
        return 0
    return claim_line_open_count_for_staff(user=user)
