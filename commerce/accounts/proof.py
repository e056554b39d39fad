"""Proof of a fresh sign-in, asked before an account changes in ways a stolen session must not make (deleting
it, changing its email, turning two-factor on or off): the password for accounts that have one, or a new ID
token from the provider an account made by social sign-in came from."""
from commerce.accounts import throttle
from commerce.accounts.models import User
from commerce.errors import DomainError


class ProofError(DomainError):
    code = "INVALID_CREDENTIALS"


def confirm_identity(user: User, *, password: str | None = None, id_token: str | None = None,
                     field: list[str] | None = None, address: str | None = None) -> None:
    """Raise unless `password` is the user's, or `id_token` is a valid ID token for one of the user's linked
    social accounts. Password attempts are counted like sign-in attempts, per (email, `address`: the caller's IP),
    so a stolen session cannot be used to guess the password."""
    if password is not None:
        throttle.password_attempt(user.email, address, field=field or ["password"])
        if not user.has_usable_password() or not user.check_password(password):
            throttle.password_failed(user.email, address)
            raise ProofError("The password is not correct.", field=field or ["password"])
        throttle.password_succeeded(user.email, address)
        return
    if id_token is not None:
        from commerce.accounts.social import confirm_id_token  # here: social imports twofactor, which may import this

        confirm_id_token(user, id_token, address=address)
        return
    raise ProofError("Give your password (or, for an account made by social sign-in, a new ID token).",
                     code="REQUIRED", field=field or ["password"])
