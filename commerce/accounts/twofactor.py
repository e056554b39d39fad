"""Two-factor sign-in for staff (TOTP, RFC 6238). Every way of signing in goes through `check_second_factor`
after the first factor holds, so none of them (password, social sign-in) bypasses it."""
from commerce.accounts.models import User


def check_second_factor(user: User, otp: str | None, *, field: list[str] | None = None) -> None:
    """Raise OTP_REQUIRED (no code given) or INVALID_CREDENTIALS (a wrong or used code) for a user with two-factor
    on, or for staff when STAFF_TWO_FACTOR_REQUIRED... (built by the two-factor work; a no-op until then)."""
