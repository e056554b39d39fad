from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


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
    date_joined = models.DateTimeField(default=timezone.now)
    is_email_verified = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

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
