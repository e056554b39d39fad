"""The one hierarchy of domain errors.

A service raises a DomainError for what its caller did wrong; the GraphQL layer turns it into a `UserError`
(mutations) or a top-level error (queries) with the same `code`, so the rule and its error live together.
"""


class DomainError(Exception):
    code = "INVALID"

    def __init__(self, message: str, *, code: str | None = None, field: list[str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
