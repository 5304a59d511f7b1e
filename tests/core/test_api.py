import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated

from mamagang.core.api import exception_handler
from mamagang.core.exceptions import DomainError


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (
            DomainError("不能提交", code="registry_entry_not_submitted"),
            400,
            "registry_entry_not_submitted",
        ),
        (ValidationError("错误"), 400, "invalid"),
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (NotAuthenticated(), 401, "not_authenticated"),
    ],
)
def test_exception_handler_maps_errors_to_status_and_stable_code(exc, status, code):
    response = exception_handler(exc, {})

    assert response.status_code == status
    assert response.data["code"] == code
    assert "detail" in response.data


def test_exception_handler_leaves_unexpected_errors_alone():
    assert exception_handler(RuntimeError("boom"), {}) is None
