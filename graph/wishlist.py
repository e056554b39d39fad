"""The wishlist: `wishlistAdd`, `wishlistRemove` (and `me.wishlist` in graph.accounts). Signed-in customers
only: an anonymous caller gets a top-level UNAUTHENTICATED."""
import strawberry
from strawberry.types import Info

from commerce.catalog import wishlist
from graph.catalog import Product
from graph.core.context import require_user
from graph.core.ids import decode_id
from graph.core.payloads import UserError, user_errors
from graph.core.types import payload_field


@strawberry.type
class WishlistPayload:
    wishlist: list[Product] = payload_field()
    errors: list[UserError]


def _wishlist_payload(info: Info, change) -> WishlistPayload:
    user = require_user(info)
    with user_errors(WishlistPayload) as result:
        change(user)
    result.wishlist = wishlist.wishlist(user)  # as it is now, also when the change was refused
    return result.payload


@strawberry.type
class WishlistMutation:
    @strawberry.mutation(description="Adding a product already there keeps it once. Returns the whole wishlist.")
    def wishlist_add(self, info: Info, product_id: strawberry.ID) -> WishlistPayload:
        return _wishlist_payload(info, lambda user: wishlist.add_to_wishlist(
            user, decode_id(product_id, Product, argument="productId")))

    @strawberry.mutation(description="Removing a product that is not there changes nothing. Returns the whole wishlist.")
    def wishlist_remove(self, info: Info, product_id: strawberry.ID) -> WishlistPayload:
        return _wishlist_payload(info, lambda user: wishlist.remove_from_wishlist(
            user, decode_id(product_id, Product, argument="productId")))
