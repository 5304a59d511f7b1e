"""Write use-cases of the employers app, split by sub-domain and re-exported here."""

from .employers import (
    employer_build,
    employer_register,
    employer_specialist_assign,
    employer_update,
)
from .memberships import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    invitation_token_hash,
    membership_remove,
)
from .registry import (
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
    "employer_build",
    "employer_register",
    "employer_specialist_assign",
    "employer_update",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "invitation_token_hash",
    "membership_remove",
    "registry_entry_approve",
    "registry_entry_create",
    "registry_entry_reinstate",
    "registry_entry_reject",
    "registry_entry_remove",
    "registry_entry_return",
    "registry_entry_submit",
    "registry_entry_suspend",
    "registry_entry_update",
]
