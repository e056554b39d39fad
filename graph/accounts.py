"""The accounts part of the contract: `me`, users and addresses, and the sign-in and password mutations."""
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection as Connection

from commerce.accounts import models, selectors, services, tokens
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
    addresses: list[Address]
    orders: Connection[Annotated["Order", strawberry.lazy("graph.orders")]] = connection(
        description="Newest first.")

    @strawberry_django.field(description="Most recently added first; unpublished products drop out.")
    def wishlist(self) -> list[Annotated["Product", strawberry.lazy("graph.catalog")]]:
        return wishlist.wishlist(self)

    @strawberry_django.field(description="The user's cart, if they have one.")
    def cart(self, info: Info) -> Annotated["Cart", strawberry.lazy("graph.carts")] | None:
        return cart_selectors.visible_carts(viewer(info)).filter(user=self).first()

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset & selectors.visible_users(viewer(info))


@strawberry.input
class AccountRegisterInput:
    email: str
    password: str
    first_name: str | None = None
    last_name: str | None = None


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


def _signed_in(result: user_errors, user: models.User, pair: tokens.TokenPair) -> None:
    result.user, result.access_token, result.refresh_token = user, pair.access, pair.refresh


@strawberry.type
class AccountQuery:
    @strawberry_django.field(description="The signed-in user; null for an anonymous caller.")
    def me(self, info: Info) -> User | None:
        user = viewer(info)
        return None if user is None else models.User.objects.filter(pk=user.pk)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Creates a customer account and signs it in.")
    def account_register(self, input: AccountRegisterInput) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *services.register(
                email=input.email, password=input.password,
                first_name=input.first_name or "", last_name=input.last_name or "",
            ))
        return result.payload

    @strawberry.mutation
    def account_update(self, info: Info, input: AccountUpdateInput) -> AuthPayload:
        user = require_user(info)
        with user_errors(AuthPayload) as result:
            result.user = services.update_profile(user, first_name=input.first_name, last_name=input.last_name)
        return result.payload

    @strawberry.mutation(description="Signs out every other session; returns a fresh token pair for this one.")
    def password_change(self, info: Info, old_password: str, new_password: str) -> AuthPayload:
        user = require_user(info)
        with user_errors(AuthPayload) as result:
            _signed_in(result, user, services.change_password(user, old_password=old_password, new_password=new_password))
        return result.payload

    @strawberry.mutation
    def token_create(
        self,
        email: str,
        password: str,
        cart_token: Annotated[str | None, strawberry.argument(
            description="A guest cart to merge into the user's: quantities add up, capped by stock."
        )] = None,
    ) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *cart_services.sign_in(email=email, password=password, cart_token=cart_token))
        return result.payload

    @strawberry.mutation(description=(
        "Signs in with an OpenID Connect ID token from Sign in with Google or Apple, making the account on first "
        "use. An account that has two-factor on answers OTP_REQUIRED until `otp` is given."))
    def token_create_from_id_token(
        self,
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
                authorization_code=authorization_code,
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
    def password_reset_confirm(self, token: str, password: str) -> AuthPayload:
        with user_errors(AuthPayload) as result:
            _signed_in(result, *services.reset_password(token=token, password=password))
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
