"""The one hierarchy of domain errors.

A service raises a DomainError for what its caller did wrong; the GraphQL layer turns it into a `UserError`
(mutations) or a top-level error (queries) with the same `code`, so the rule and its error live together.
`field` is the path of the offending argument as the API names it (["input", "password"]), so a form can put
the message beside the right box.
"""
from collections.abc import Iterable


class DomainError(Exception):
    code = "INVALID"

    def __init__(self, message: str, *, code: str | None = None, field: list[str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    @property
    def errors(self) -> list["DomainError"]:
        """Every error this one stands for: itself, or each of several found at once."""
        return [self]


class DomainErrors(DomainError):
    """Several errors found together (every weak-password rule a password breaks), reported all at once."""

    def __init__(self, errors: Iterable[DomainError]):
        self._errors = [e for error in errors for e in error.errors]
        first = self._errors[0]
        super().__init__(first.message, code=first.code, field=first.field)

    @property
    def errors(self) -> list[DomainError]:
        return self._errors


class NotFound(DomainError):
    """What does not exist, or what the caller may not see: the two are indistinguishable on purpose."""

    code = "NOT_FOUND"
