"""The accounts part of the contract: `me`, users and addresses, and the sign-in, password and email mutations."""
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection as Connection

from commerce.accounts import deletion, models, selectors, services, tokens, twofactor, verification
from commerce.carts import selectors as cart_selectors
from commerce.carts import services as cart_services
from commerce.catalog import wishlist
from graph.core.context import require_user, viewer
from graph.core.ids import decode_id
from graph.core.payloads import UserError, user_errors
from graph.core.types import GuardedNode, ModelField, ModelNode, connection

if TYPE_CHECKING:
    from graph.carts import Cart
    from graph.catalog import Product
    from graph.orders import Order


@strawberry_django.type(models.Address, name="Address", field_cls=ModelField)
class Address(GuardedNode):
    first_name: str
    last_name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country_code: str
    phone: str

    @classmethod
    def visible(cls, info: Info):
        """By ID, only the owner's: the copies carts and orders hold are reached through them, never by ID."""
        return selectors.visible_addresses(viewer(info))


@strawberry_django.type(models.User, name="User", field_cls=ModelField)
class User(ModelNode):
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    is_email_verified: bool = strawberry_django.field(
        description="Proved by the link mailed to it (accountConfirmEmail, accountConfirmEmailChange). Guest "
                    "orders placed with the email join the account once it is.")
    addresses: list[Address]
    orders: Connection[Annotated["Order", strawberry.lazy("graph.orders")]] = connection(
        description="Newest first.")

    @strawberry_django.field(description="Most recently added first; unpublished products drop out.")
    def wishlist(self) -> list[Annotated["Product", strawberry.lazy("graph.catalog")]]:
        return wishlist.wishlist(self)

    @strawberry_django.field(description="The user's cart, if they have one.")
    def cart(self, info: Info) -> Annotated["Cart", strawberry.lazy("graph.carts")] | None:
        return cart_selectors.visible_carts(viewer(info)).filter(user=self).first()

    @strawberry_django.field(description="Two-factor sign-in is on: `tokenCreate` asks for a code as well.")
    def has_two_factor(self) -> bool:
        return twofactor.has_two_factor(self)

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset & selectors.visible_users(viewer(info))


@strawberry.input
class AccountRegisterInput:
    email: str
    password: str
    first_name: str | None = None
    last_name: str | None = None
    cart_token: str | None = strawberry.field(
        default=None, description="The guest's cart, which becomes the new account's cart.")


@strawberry.input(description="Absent or null fields stay as they are.")
class AccountUpdateInput:
    first_name: str | None = None
    last_name: str | None = None


@strawberry.input
class AddressInput:
    first_name: str
    last_name: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2; one of `Shop.countries`.")
    phone: str | None = None

    def to_data(self) -> dict:
        return {name: getattr(self, name) for name in services.ADDRESS_FIELDS}


@strawberry.type
class AuthPayload:
    user: User | None = None
    access_token: str | None = strawberry.field(default=None, description="A JWT for `Authorization: Bearer`.")
    refresh_token: str | None = strawberry.field(default=None, description="Single use: each refresh returns a new one.")
    access_token_expires_at: datetime | None = strawberry.field(
        default=None, description="When `accessToken` stops working: refresh before then.")
    errors: list[UserError]


@strawberry.type
class AccountPayload:
    user: User | None = None
    errors: list[UserError]


@strawberry.type
class TwoFactorSetupPayload:
    otpauth_url: str | None = strawberry.field(default=None, description=(
        "The otpauth:// URL of the new secret, for an authenticator app (as a link on a phone, or as the QR code)."))
    qr_svg: str | None = strawberry.field(default=None, description="The same URL as a QR code, an inline SVG.")
    errors: list[UserError]


@strawberry.type
class TwoFactorConfirmPayload:
    user: User | None = None
    recovery_codes: list[str] | None = strawberry.field(default=None, description=(
        "Each signs in once in place of a code; shown only now (only their digests are kept)."))
    errors: list[UserError]


@strawberry.type
class RevokePayload:
    errors: list[UserError]


@strawberry.type
class PasswordResetRequestPayload:
    errors: list[UserError]


@strawberry.type
class AddressPayload:
    address: Address | None = None
    errors: list[UserError]


def _signed_in(result: user_errors, user: models.User, pair: tokens.TokenPair | None) -> None:
    result.user = user
    if pair is not None:
        result.access_token, result.refresh_token = pair.access, pair.refresh
        result.access_token_expires_at = pair.access_expires_at


@strawberry.type
class AccountQuery:
    @strawberry_django.field(description="The signed-in user; null for an anonymous caller.")
    def me(self, info: Info) -> User | None:
        user = viewer(info)
        return None if user is None else models.User.objects.filter(pk=user.pk)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Creates a customer account and signs it in.")
    def account_register(self, info: Info, input: AccountRegisterInput) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            user, pair = cart_services.register(
                email=input.email, password=input.password,
                first_name=input.first_name or "", last_name=input.last_name or "", cart_token=input.cart_token,
            )
            info.context.signed_up.append(user)
            _signed_in(result, user, pair)
        return result.payload

    @strawberry.mutation(description=(
        "Deletes the signed-in account: its personal data is erased and it can never sign in again; its orders "
        "stay for the books (anonymized after the shop's retention). Needs the password, or a fresh `idToken` for "
        "an account made by social sign-in. ORDERS_IN_PROGRESS while an order awaits payment or shipment. "
        "`user` is null once the account is gone."))
    def account_delete(self, info: Info, password: str | None = None, id_token: str | None = None) -> AccountPayload:
        user = require_user(info)
        with user_errors(AccountPayload) as result:
            deletion.delete_account(user, password=password, id_token=id_token, address=info.context.client_ip)
        return result.payload

    @strawberry.mutation(description="Marks the account's email verified from the emailed token, and signs in "
                                     "(an account with two-factor on gets `user` without tokens: it signs in with "
                                     "tokenCreate).")
    def account_confirm_email(self, token: str) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *verification.confirm_email(token))
        return result.payload

    @strawberry.mutation(description="Mails a new verification link; answers the same whether or not the email "
                                     "has an account that needs one.")
    def account_resend_confirmation(self, info: Info, email: str) -> AccountPayload:
        with user_errors(AccountPayload) as result:
            verification.request_confirmation_email(email, client_ip=info.context.client_ip)
        return result.payload

    @strawberry.mutation(description="Mails a link to `newEmail` (and tells the current address); the email "
                                     "changes when the link is used. Needs the password, or a fresh `idToken` for "
                                     "an account made by social sign-in.")
    def account_request_email_change(self, info: Info, new_email: str, password: str | None = None,
                                     id_token: str | None = None) -> AccountPayload:
        user = require_user(info)
        with user_errors(AccountPayload) as result:
            result.user = verification.request_email_change(user, new_email=new_email, password=password,
                                                            id_token=id_token, address=info.context.client_ip)
        return result.payload

    @strawberry.mutation(description="Moves the signed-in account to the address the token was mailed to, which "
                                     "becomes its verified email.")
    def account_confirm_email_change(self, info: Info, token: str) -> AccountPayload:
        user = require_user(info)
        with user_errors(AccountPayload) as result:
            result.user = verification.confirm_email_change(user, token)
        return result.payload

    @strawberry.mutation(description="Changes the profile. Answers with `user` and `errors`: its tokens are "
                                     "always null (the type is AuthPayload for clients written against it).")
    def account_update(self, info: Info, input: AccountUpdateInput) -> AuthPayload:
        user = require_user(info)
        with user_errors(AuthPayload) as result:
            result.user = services.update_profile(user, first_name=input.first_name, last_name=input.last_name)
        return result.payload

    @strawberry.mutation(description="Signs out every other session; returns a fresh token pair for this one.")
    def password_change(self, info: Info, old_password: str, new_password: str) -> AuthPayload:
        user = require_user(info)
        with user_errors(AuthPayload) as result:
            _signed_in(result, user, services.change_password(
                user, old_password=old_password, new_password=new_password, address=info.context.client_ip))
        return result.payload

    @strawberry.mutation
    def token_create(
        self,
        info: Info,
        email: str,
        password: str,
        cart_token: Annotated[str | None, strawberry.argument(
            description="A guest cart to merge into the user's: quantities add up, capped by stock."
        )] = None,
        otp: Annotated[str | None, strawberry.argument(
            description="With two-factor on: the 6-digit code, or a recovery code (OTP_REQUIRED until given)."
        )] = None,
    ) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *cart_services.sign_in(email=email, password=password, address=info.context.client_ip,
                                                      cart_token=cart_token, otp=otp))
        return result.payload

    @strawberry.mutation(description=(
        "Starts turning two-factor sign-in on: a new secret to scan, unused until twoFactorConfirm gets a code "
        "from it. `password`, or a fresh `idToken` for an account made by social sign-in."))
    def two_factor_setup(self, info: Info, password: str | None = None,
                         id_token: str | None = None) -> TwoFactorSetupPayload:
        user = require_user(info)
        with user_errors(TwoFactorSetupPayload) as result:
            device = twofactor.start_setup(user, password=password, id_token=id_token, address=info.context.client_ip)
            result.otpauth_url, result.qr_svg = device.config_url, twofactor.qr_svg(device)
        return result.payload

    @strawberry.mutation(description="Turns two-factor sign-in on with a code from the app just set up.")
    def two_factor_confirm(self, info: Info, code: str) -> TwoFactorConfirmPayload:
        user = require_user(info)
        with user_errors(TwoFactorConfirmPayload) as result:
            _, result.recovery_codes = twofactor.confirm_setup(user, code, address=info.context.client_ip)
            result.user = user
        return result.payload

    @strawberry.mutation(description="Turns two-factor sign-in off: a current code (or a recovery code) and "
                                     "`password` (or a fresh `idToken`).")
    def two_factor_disable(self, info: Info, code: str, password: str | None = None,
                           id_token: str | None = None) -> AccountPayload:
        user = require_user(info)
        with user_errors(AccountPayload) as result:
            result.user = twofactor.disable(user, code, password=password, id_token=id_token,
                                            address=info.context.client_ip)
        return result.payload

    @strawberry.mutation(description=(
        "Signs in with an OpenID Connect ID token from Sign in with Google or Apple, making the account on first "
        "use. An account that has two-factor on answers OTP_REQUIRED until `otp` is given."))
    def token_create_from_id_token(
        self,
        info: Info,
        provider: Annotated[str, strawberry.argument(description="Who issued the ID token: google or apple.")],
        id_token: str,
        cart_token: Annotated[str | None, strawberry.argument(
            description="A guest cart to merge into the user's: quantities add up, capped by stock."
        )] = None,
        otp: Annotated[str | None, strawberry.argument(
            description="The 6-digit code (or a recovery code) of an account with two-factor on.")] = None,
        nonce: Annotated[str | None, strawberry.argument(
            description="The raw nonce the app gave the provider's SDK: the token must carry it (Apple's, hashed "
                        "with SHA-256, as Apple's SDKs send it).")] = None,
        authorization_code: Annotated[str | None, strawberry.argument(
            description="Apple only: the sign-in's authorization code, so that deleting the account can revoke "
                        "its Apple tokens.")] = None,
    ) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *cart_services.sign_in_with_id_token(
                provider=provider, id_token=id_token, cart_token=cart_token, nonce=nonce, otp=otp,
                authorization_code=authorization_code, address=info.context.client_ip,
            ))
        return result.payload

    @strawberry.mutation(description="Spends the refresh token and returns a new pair.")
    def token_refresh(self, refresh_token: str) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *tokens.refresh(refresh_token))
        return result.payload

    @strawberry.mutation(description="Signs out the session the refresh token belongs to.")
    def token_revoke(self, refresh_token: str) -> RevokePayload:
        with user_errors(RevokePayload) as result:
            tokens.revoke(refresh_token)
        return result.payload

    @strawberry.mutation(description="Emails a reset link; answers the same whether or not the email has an account.")
    def password_reset_request(self, email: str) -> PasswordResetRequestPayload:
        with user_errors(PasswordResetRequestPayload) as result:
            services.request_password_reset(email)
        return result.payload

    @strawberry.mutation(description="Sets a new password from an emailed token and signs in.")
    def password_reset_confirm(self, info: Info, token: str, password: str) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *services.reset_password(token=token, password=password, address=info.context.client_ip))
        return result.payload

    @strawberry.mutation
    def address_create(self, info: Info, input: AddressInput) -> AddressPayload:
        user = require_user(info)
        with user_errors(AddressPayload) as result:
            result.address = services.create_address(user, input.to_data())
        return result.payload

    @strawberry.mutation
    def address_update(self, info: Info, id: strawberry.ID, input: AddressInput) -> AddressPayload:
        user = require_user(info)
        with user_errors(AddressPayload) as result:
            address_id = decode_id(id, Address, argument="id")
            result.address = services.update_address(user, address_id, input.to_data())
        return result.payload

    @strawberry.mutation(description="Returns the deleted address, so a client can drop it from its cache by id.")
    def address_delete(self, info: Info, id: strawberry.ID) -> AddressPayload:
        user = require_user(info)
        with user_errors(AddressPayload) as result:
            result.address = services.delete_address(user, decode_id(id, Address, argument="id"))
        return result.payload
