"""Form helpers shared by the apps' pages."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.forms import BaseForm

from .exceptions import DomainError


def add_service_errors(
    form: BaseForm,
    exc: ValidationError | DomainError,
    error_fields: Mapping[str, str] | None = None,
) -> None:
    """
    Put a service's error on `form`: a DomainError on the field `error_fields`
    names for its code (else at the top), a ValidationError's field errors on
    the form's fields of those names (else at the top).
    """
    if isinstance(exc, DomainError):
        field = (error_fields or {}).get(exc.code)
        form.add_error(field if field in form.fields else None, exc.message)
        return
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
