"""The one hierarchy of domain errors, and the one list of their codes.

A service raises a DomainError for what its caller did wrong; the GraphQL layer turns it into a `UserError`
(mutations) or a top-level error (queries) with the same `code`, so the rule and its error live together.
`field` is the path of the offending argument as the API names it (["input", "password"]), so a form can put
the message beside the right box.

`Code` is every code a client may switch on (the API's `ErrorCode` is built from it). A code is given as a
member or as its name; either is checked when the error is made, and a class's own `code` when the class is
defined, so a misspelt code fails there (tests/test_error_codes.py reads every literal one), never as a
masked 500 where the API converts it.
"""
from collections.abc import Iterable
from enum import StrEnum


class Code(StrEnum):
    """In the order the API has always listed them: a new code goes at the end, so generated clients do not churn."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"
    THROTTLED = "THROTTLED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_PURCHASABLE = "NOT_PURCHASABLE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    QUANTITY_LIMIT = "QUANTITY_LIMIT"
    CART_EMPTY = "CART_EMPTY"
    VOUCHER_INVALID = "VOUCHER_INVALID"
    SHIPPING_REQUIRED = "SHIPPING_REQUIRED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_PROVIDER_ERROR = "PAYMENT_PROVIDER_ERROR"
    PRICE_CHANGED = "PRICE_CHANGED"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    CATEGORY_NOT_EMPTY = "CATEGORY_NOT_EMPTY"
    OTP_REQUIRED = "OTP_REQUIRED"
    RETURN_NOT_ALLOWED = "RETURN_NOT_ALLOWED"
    ORDERS_IN_PROGRESS = "ORDERS_IN_PROGRESS"
    IMAGE_INVALID = "IMAGE_INVALID"  # not a JPEG, PNG, WebP or GIF by its content, or a broken one
    FILE_TOO_LARGE = "FILE_TOO_LARGE"  # over MEDIA_UPLOAD_MAX_BYTES
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"  # over MEDIA_MAX_PIXELS
    TOO_MANY_IMAGES = "TOO_MANY_IMAGES"  # the product has MEDIA_MAX_IMAGES_PER_PRODUCT already
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"


def code_of(code: "Code | str") -> Code:
    """`code` as a member of Code; ValueError for a code that is not one."""
    try:
        return Code(code)
    except ValueError:
        raise ValueError(f"{code!r} is not an error code: add it to commerce.errors.Code or fix its spelling") from None


class DomainError(Exception):
    code: Code = Code.INVALID

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.code = code_of(cls.code)

    def __init__(self, message: str, *, code: Code | str | None = None, field: list[str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code_of(code)
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


class Throttled(DomainError):
    """Refused for now: `retry_after` is the whole seconds until the caller may try again (the API shows it as
    the UserError's `retryAfter`, as a top-level THROTTLED carries `extensions.retryAfter`)."""

    code = Code.THROTTLED

    def __init__(self, message: str, *, retry_after: int, field: list[str] | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after


class NotFound(DomainError):
    """What does not exist, or what the caller may not see: the two are indistinguishable on purpose."""

    code = Code.NOT_FOUND
