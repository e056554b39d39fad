"""Payloads with `errors`: how every mutation reports what the caller can fix.

A mutation's resolver calls a service inside `user_errors(Payload)`; a DomainError raised there becomes the
contract's `UserError`s on the payload (one per problem, with the argument path and a stable code) instead of
an exception; entity fields set before the error stay, the rest are null. An ID argument that does not decode is
a UserError here too (INVALID on that argument), since in a mutation it is input the user can fix. Services keep
their own transactions, so nothing is left half-written by an error they raise.
"""
from enum import Enum

import strawberry

from commerce.errors import Code, DomainError
from graph.core.context import require_staff
from graph.core.errors import BadUserInput

ErrorCode = strawberry.enum(
    Enum("ErrorCode", {code.name: code.value for code in Code}),
    description="Stable codes of `UserError`s; a client switches on these, never on messages.",
)


@strawberry.type(description="Something the caller can fix: `field` is the argument path, e.g. [\"input\", \"email\"].")
class UserError:
    field: list[str] | None
    message: str
    code: ErrorCode
    retry_after: int | None = strawberry.field(
        default=None, description="For THROTTLED: whole seconds to wait before trying again (also in the message).")

    @classmethod
    def from_domain(cls, error: DomainError) -> "UserError":
        return cls(field=error.field, message=error.message, code=ErrorCode(error.code),
                   retry_after=getattr(error, "retry_after", None))


class user_errors:
    """`with user_errors(Payload) as result: result.entity = service(...)`, then `return result.payload`."""

    def __init__(self, payload_type: type, **values):
        self._payload_type = payload_type
        self._values = values
        self.errors: list[UserError] = []

    def __enter__(self) -> "user_errors":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, DomainError):
            self.errors.extend(UserError.from_domain(error) for error in exc.errors)
            return True
        if isinstance(exc, BadUserInput):  # an ID argument that does not decode: in a mutation, a fixable input
            argument = exc.extensions.get("argument")
            self.errors.append(UserError(field=argument and argument.split("."), message=str(exc), code=ErrorCode.INVALID))
            return True
        return False

    def __setattr__(self, name, value):
        if name.startswith("_") or name == "errors":
            super().__setattr__(name, value)
        else:
            self._values[name] = value

    @property
    def payload(self):
        return self._payload_type(**self._values, errors=self.errors)


def staff_write(info, payload_type: type, entity: str, write):
    """The one shape of a staff mutation: staff only (a top-level FORBIDDEN before anything runs), then the write,
    its DomainErrors as UserErrors, what it returns as the payload's `entity`."""
    require_staff(info)
    with user_errors(payload_type) as result:
        setattr(result, entity, write())
    return result.payload


def given(input, **convert) -> dict:
    """The fields of an update input the client sent, by model field name, converted as asked (strawberry.UNSET
    is "absent"; null is a value)."""
    return {name: convert[name](value) if name in convert else value
            for name, value in vars(input).items() if value is not strawberry.UNSET}
