"""Write use-cases of the employers app, split by sub-domain and re-exported here."""

from .editions import (
    registry_edition_content,
    registry_edition_diff,
    registry_edition_hash,
    registry_edition_publish,
    registry_editions_publish_due,
    registry_regions_due,
)
from .employers import (
    employer_build,
    employer_register,
    employer_specialist_assign,
    employer_update,
)
from .imports import ImportFailed, ImportResult, RowError, employers_import
from .memberships import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    invitation_token_hash,
    membership_remove,
)
from .registry import (
    registry_entry_apply,
    registry_entry_approve,
    registry_entry_create,
    registry_entry_reinstate,
    registry_entry_reject,
    registry_entry_remove,
    registry_entry_return,
    registry_entry_submit,
    registry_entry_suspend,
    registry_entry_update,
)

__all__ = [
    "ImportFailed",
    "ImportResult",
    "RowError",
    "employer_build",
    "employer_register",
    "employer_specialist_assign",
    "employer_update",
    "employers_import",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "invitation_token_hash",
    "membership_remove",
    "registry_edition_content",
    "registry_edition_diff",
    "registry_edition_hash",
    "registry_edition_publish",
    "registry_editions_publish_due",
    "registry_entry_apply",
    "registry_entry_approve",
    "registry_entry_create",
    "registry_entry_reinstate",
    "registry_entry_reject",
    "registry_entry_remove",
    "registry_entry_return",
    "registry_entry_submit",
    "registry_entry_suspend",
    "registry_entry_update",
    "registry_regions_due",
]
