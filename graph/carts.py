"""The cart part of the contract: carts by token, their lines and totals, shipping methods, and the edits."""

import strawberry
import strawberry_django
from strawberry.types import Info

from commerce.carts import models, selectors, services
from graph.accounts import Address, AddressInput
from graph.catalog import ProductVariant
from graph.core.context import refuse_over_get, viewer
from graph.core.ids import decode_id, local_id
from graph.core.payloads import ErrorCode, UserError, user_errors
from graph.core.types import GuardedNode, ModelField, ModelNode, Money, local_id_field, money


@strawberry_django.type(models.ShippingMethod, name="ShippingMethod", field_cls=ModelField)
class ShippingMethod(ModelNode):
    name: str

    @strawberry_django.field(only=["price"])
    def price(self) -> Money:
        return money(self.price)

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(is_active=True)


@strawberry_django.type(models.CartLine, name="CartLine")
class CartLine:
    variant: ProductVariant
    quantity: int
    id: strawberry.ID = local_id_field("CartLine")

    @strawberry_django.field(select_related=["variant"])
    def unit_price(self) -> Money:
        return money(self.variant.current_price, self.variant.currency)

    @strawberry_django.field(select_related=["variant"], only=["quantity"])
    def total(self) -> Money:
        return money(self.variant.current_price * self.quantity, self.variant.currency)


@strawberry.type
class CartWarning:
    line_id: strawberry.ID | None
    code: ErrorCode
    message: str


TOTALS_HINTS = {"select_related": ["voucher", "shipping_method", "shipping_address"]}


def _total_field(name: str):
    """One of the cart's totals, from the pricing function (computed once per cart, whichever is asked)."""
    @strawberry_django.field(**TOTALS_HINTS)
    def resolve(self) -> Money:
        return money(getattr(selectors.cart_totals(self), name))

    return resolve


@strawberry_django.type(models.Cart, name="Cart", field_cls=ModelField)
class Cart(GuardedNode):
    token: str
    lines: list[CartLine]
    shipping_address: Address | None
    billing_address: Address | None
    shipping_method: ShippingMethod | None

    @strawberry_django.field(only=["email"])
    def email(self) -> str | None:
        return self.email or None

    @strawberry_django.field(select_related=["voucher"])
    def voucher_code(self) -> str | None:
        return self.voucher.code if self.voucher else None

    @strawberry_django.field(**TOTALS_HINTS)
    def total_quantity(self) -> int:
        return selectors.cart_totals(self).quantity

    subtotal: Money = _total_field("subtotal")
    discount: Money = _total_field("discount")
    shipping: Money = _total_field("shipping")
    tax: Money = _total_field("tax")
    total: Money = _total_field("total")

    @strawberry_django.field(select_related=["shipping_address"], description="Those that ship to the shipping address.")
    def available_shipping_methods(self) -> list[ShippingMethod]:
        return selectors.shipping_methods(self.shipping_address.country_code if self.shipping_address else None)

    @strawberry_django.field(**TOTALS_HINTS, description="What changed since the lines were added.")
    def warnings(self) -> list[CartWarning]:
        return [
            CartWarning(line_id=w.line_id and local_id("CartLine", w.line_id), code=ErrorCode(w.code), message=w.message)
            for w in selectors.cart_warnings(self)
        ]

    @classmethod
    def visible(cls, info: Info):
        return selectors.visible_carts(viewer(info))


@strawberry.input
class CartLineInput:
    variant_id: strawberry.ID
    quantity: int


@strawberry.input
class CartLineUpdateInput:
    line_id: strawberry.ID
    quantity: int = strawberry.field(description="0 removes the line.")


@strawberry.input
class CartCreateInput:
    lines: list[CartLineInput] | None = None
    email: str | None = None


@strawberry.input(description="Absent fields stay as they are. Addresses are copied into the cart.")
class CartUpdateInput:
    email: str | None = None
    shipping_address: AddressInput | None = None
    shipping_address_id: strawberry.ID | None = strawberry.field(default=None, description="One of the user's saved addresses.")
    billing_address: AddressInput | None = None
    shipping_method_id: strawberry.ID | None = None


@strawberry.type
class CartPayload:
    cart: Cart | None = None
    errors: list[UserError]


def line_requests(lines: list[CartLineInput], path: str) -> list[services.LineRequest]:
    return [services.LineRequest(decode_id(line.variant_id, ProductVariant, argument=f"{path}.{i}.variantId"),
                                 line.quantity) for i, line in enumerate(lines)]


def decode_line_id(line_id: strawberry.ID, argument: str) -> int:
    return decode_id(line_id, CartLine, argument=argument)


@strawberry.type
class CartQuery:
    @strawberry_django.field(description="A guest's cart by its token, or the signed-in owner's.")
    def cart(self, info: Info, token: str) -> Cart | None:
        refuse_over_get(info, "token")
        return selectors.carts_by_token(viewer(info), token)

    @strawberry_django.field
    def shipping_methods(self) -> list[ShippingMethod]:
        return selectors.shipping_methods()


@strawberry.type
class CartMutation:
    @strawberry.mutation(description="A new cart; signed in, the user's one cart with these lines added.")
    def cart_create(self, info: Info, input: CartCreateInput | None = None) -> CartPayload:
        input = input or CartCreateInput()
        with user_errors(CartPayload) as result:
            lines = line_requests(input.lines or [], "input.lines")
            result.cart = services.create_cart(viewer(info), lines=lines, email=input.email)
        return result.payload

    @strawberry.mutation
    def cart_lines_add(self, info: Info, cart_token: str, lines: list[CartLineInput]) -> CartPayload:
        with user_errors(CartPayload) as result:
            cart = selectors.cart_for_update(viewer(info), cart_token)
            result.cart = services.add_lines(cart, line_requests(lines, "lines"))
        return result.payload

    @strawberry.mutation
    def cart_lines_update(self, info: Info, cart_token: str, lines: list[CartLineUpdateInput]) -> CartPayload:
        with user_errors(CartPayload) as result:
            cart = selectors.cart_for_update(viewer(info), cart_token)
            updates = [services.LineUpdate(decode_line_id(line.line_id, f"lines.{i}.lineId"), line.quantity)
                       for i, line in enumerate(lines)]
            result.cart = services.update_lines(cart, updates)
        return result.payload

    @strawberry.mutation
    def cart_lines_remove(self, info: Info, cart_token: str, line_ids: list[strawberry.ID]) -> CartPayload:
        with user_errors(CartPayload) as result:
            cart = selectors.cart_for_update(viewer(info), cart_token)
            ids = [decode_line_id(line_id, f"lineIds.{i}") for i, line_id in enumerate(line_ids)]
            result.cart = services.remove_lines(cart, ids)
        return result.payload

    @strawberry.mutation
    def cart_update(self, info: Info, cart_token: str, input: CartUpdateInput) -> CartPayload:
        with user_errors(CartPayload) as result:
            cart = selectors.cart_for_update(viewer(info), cart_token)
            details = services.CartDetails(
                email=input.email,
                shipping_address=input.shipping_address and input.shipping_address.to_data(),
                shipping_address_id=input.shipping_address_id and decode_id(
                    input.shipping_address_id, Address, argument="input.shippingAddressId"),
                billing_address=input.billing_address and input.billing_address.to_data(),
                shipping_method_id=input.shipping_method_id and decode_id(
                    input.shipping_method_id, ShippingMethod, argument="input.shippingMethodId"),
            )
            result.cart = services.update_details(cart, viewer(info), details)
        return result.payload

    @strawberry.mutation
    def cart_voucher_apply(self, info: Info, cart_token: str, code: str) -> CartPayload:
        with user_errors(CartPayload) as result:
            result.cart = services.apply_voucher(selectors.cart_for_update(viewer(info), cart_token), code)
        return result.payload

    @strawberry.mutation
    def cart_voucher_remove(self, info: Info, cart_token: str) -> CartPayload:
        with user_errors(CartPayload) as result:
            result.cart = services.remove_voucher(selectors.cart_for_update(viewer(info), cart_token))
        return result.payload
