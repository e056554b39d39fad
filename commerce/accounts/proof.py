"""Proof of a fresh sign-in, asked before an account changes in ways a stolen session must not make (deleting
it, changing its email, turning two-factor on or off): the password for accounts that have one, or a new ID
token from the provider an account made by social sign-in came from."""
from commerce.accounts.models import User
from commerce.errors import DomainError


class ProofError(DomainError):
    code = "INVALID_CREDENTIALS"


def confirm_identity(user: User, *, password: str | None = None, id_token: str | None = None,
                     field: list[str] | None = None) -> None:
    """Raise unless `password` is the user's, or `id_token` is a valid ID token for one of the user's linked
    social accounts. Attempts are counted like sign-in attempts."""
    if password is not None:
        if not user.has_usable_password() or not user.check_password(password):
            raise ProofError("The password is not correct.", field=field or ["password"])
        return
    if id_token is not None:
        from commerce.accounts.social import confirm_id_token  # here: social imports twofactor, which may import this

        confirm_id_token(user, id_token)
        return
    raise ProofError("Give your password (or, for an account made by social sign-in, a new ID token).",
                     code="REQUIRED", field=field or ["password"])
