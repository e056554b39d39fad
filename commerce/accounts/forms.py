"""The Django admin's login, counted as the API's sign-ins are (commerce.accounts.throttle): per (email, address)
and per address, with the same growing wait. Without this the admin's login page was a way round the API's
counters (30 guesses in 11 s, then the right password).

`ThrottledLogin` goes in front of any AuthenticationForm (an OTP form too: `class X(ThrottledLogin,
OTPAuthenticationForm)`), since it wraps the form's whole check rather than replacing it.
"""
from django.core.exceptions import ValidationError

from commerce.accounts import throttle
from commerce.errors import Throttled


class ThrottledLogin:
    """Refuse a login whose (email, address) or address must wait, before the password is checked; count a wrong
    password as a failure and a right one (even for an account that may not use this site) as a success."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:
            return super().clean()
        address = self.client_address()
        try:
            throttle.password_attempt(email, address, field=None)
        except Throttled as refused:
            raise ValidationError(refused.message) from None
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None:  # the password was wrong (not a second factor, not a customer's account)
                throttle.password_failed(email, address)
            else:
                throttle.password_succeeded(email, address)
            raise
        throttle.password_succeeded(email, address)
        return cleaned

    def client_address(self) -> str | None:
        return None if self.request is None else request_address(self.request)


def request_address(request) -> str:
    """The caller's address as the API sees it (throttle.client_address), for counters kept outside the API."""
    return throttle.client_address(request.META.get("REMOTE_ADDR"), request.headers.get("X-Forwarded-For"))
