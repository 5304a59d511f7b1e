"""`{{ amount|yuan }}`: a Decimal amount of CNY as 12,345.00 (grouped, two decimals)."""

from decimal import InvalidOperation

from django import template

from subsidies.money import amount_text

register = template.Library()


@register.filter
def yuan(value) -> str:
    if value is None or value == "":
        return ""
    try:
        return amount_text(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
