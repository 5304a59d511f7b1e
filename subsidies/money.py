"""Amounts of CNY as people read them: grouped, two decimals (12,345.00)."""

from decimal import Decimal


def amount_text(value: Decimal | int | str) -> str:
    return f"{Decimal(value):,.2f}"
