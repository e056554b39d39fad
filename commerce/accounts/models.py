import hashlib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


def normalize_email(email: str) -> str:
    """Emails are compared and stored trimmed and lower-cased: Alice@Example.com is alice@example.com."""
    return email.strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A customer or a staff member; the email address is the login (stored lower-cased, unique)."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin and run staff operations.")
    is_active = models.BooleanField(default=True)
    # Proved by a link mailed to the address (or by a provider that vouches for it). Accounts older than
    # verification start unverified and keep everything; guest orders with the email join only once it is true.
    is_email_verified = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the customer deleted the account: its personal data is erased and it can never sign in.")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        # The dashboard's new customers per day (commerce.orders.reports.daily_sales): a range of days, not a scan.
        indexes = [models.Index(fields=["date_joined"], name="user_date_joined_idx")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class SocialAccount(models.Model):
    """A link from a provider's account (Google, Apple: `subject` is the ID token's `sub`) to a user, made on the
    first social sign-in; later sign-ins find the user by it, whatever the provider's email has become since."""

    class Provider(models.TextChoices):
        GOOGLE = "google", "Google"
        APPLE = "apple", "Apple"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="social_accounts")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True, help_text="The provider's email for the account when it was linked.")
    # The app's client id the provider issued the link's tokens to (an ID token's `aud`): Apple's token and
    # revoke calls must name it.
    client_id = models.CharField(max_length=255, blank=True)
    # Apple's refresh token, from the authorization code of a sign-in, kept only to revoke it when the account
    # is deleted (the App Store requires it); empty for Google, or when Apple's client secret is not configured.
    apple_refresh_token = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="one_link_per_provider_account")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.subject} -> {self.user_id}"


class Address(models.Model):
    """A postal address: in a customer's address book (`user` set), or a copy held by a cart or an order.

    Carts and orders copy the addresses they are given, so editing or deleting one in the address book never
    changes where a placed order goes.
    """

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="addresses")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    line1 = models.CharField(max_length=255)
    line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=128)
    postal_code = models.CharField(max_length=20)
    country_code = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, one of the shop's countries.")
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.line1}, {self.city} ({self.country_code})"


class TokenFamily(models.Model):
    """One sign-in: the chain of refresh tokens that rotate from it, revoked together.

    Revoking the family signs out every token descended from that sign-in, which is what reuse detection needs:
    when a rotated token comes back, either the owner or a thief holds the newest one, and neither can be told
    apart, so both are signed out.
    """

    class Revoked(models.TextChoices):
        SIGN_OUT = "sign_out", "signed out"
        REUSE = "reuse", "a rotated token was reused"
        PASSWORD = "password", "the password changed"
        DELETED = "deleted", "the account was deleted"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    # The user's session auth hash when signed in: a password changed by any path (the API, the admin,
    # `changepassword`) no longer matches it, which ends the family and its access tokens.
    password_stamp = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=16, choices=Revoked.choices, blank=True)

    class Meta:
        verbose_name_plural = "token families"


class SingleUseSecret(models.Model):
    """A secret handed to a client once and stored only as its SHA-256 digest; it expires, and is spent when
    `used_at` is set."""

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class RefreshToken(SingleUseSecret):
    """An opaque refresh token of a sign-in; used (rotated) once."""

    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="tokens")


class PasswordResetToken(SingleUseSecret):
    """A password reset token; it dies when any of the user's is used."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_reset_tokens")


class RecoveryCodes(TimestampMixin, ThrottlingMixin, Device):
    """A user's recovery codes for two-factor sign-in, as one django-otp device: each code works once.

    django-otp's StaticDevice keeps its codes in plain text (and at most 16 characters), so a copy of the
    database would sign anyone in; here only SHA-256 digests are stored. A code carries 80 random bits, so the
    digest cannot be reversed by trying every code, and a slow hash (as passwords need) would only make each
    sign-in try every code of the user slowly. Throttled like the TOTP device (exponential back-off).
    """

    class Meta(Device.Meta):
        verbose_name = verbose_name_plural = "recovery codes"

    @staticmethod
    def digest(code: str) -> str:
        """The stored form of a code, however it was typed (case, dashes and spaces do not count)."""
        return hashlib.sha256(normalize_recovery_code(code).encode()).hexdigest()

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token: str) -> bool:
        """Spend `token` if it is one of the codes left (a code deleted by a parallel request matches nothing)."""
        if not self.verify_is_allowed()[0]:
            return False
        spent, _ = self.codes.filter(digest=self.digest(token)).delete()
        if spent:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment()
        return bool(spent)


def normalize_recovery_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


class RecoveryCode(models.Model):
    """One unspent recovery code, as its digest; using it deletes it."""

    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, unique=True)


class EmailToken(SingleUseSecret):
    """A token mailed to an address to prove the user reads it: to verify the account's email, or to move the
    account to a new one. `email` is the address it was sent to, so a token outlives no change of it; using one
    spends every other of the user's for the same purpose."""

    class Purpose(models.TextChoices):
        VERIFY = "verify", "verify the account's email"
        CHANGE = "change", "change the account's email"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_tokens")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    email = models.EmailField()
