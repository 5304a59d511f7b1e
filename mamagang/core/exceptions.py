"""Expected business-rule violations, with stable machine-readable codes."""


class DomainError(Exception):
    """An expected business-rule violation that the user can act on."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
