"""Reviews: `reviewCreate`, for signed-in customers only (an anonymous caller gets a top-level UNAUTHENTICATED)."""
import strawberry
from strawberry.types import Info

from commerce.catalog import reviews
from commerce.catalog.models import REVIEW_BODY_MAX_LENGTH
from graph.catalog import Product, Review
from graph.core.context import require_user
from graph.core.ids import decode_id
from graph.core.payloads import UserError, user_errors
from graph.core.types import payload_field


@strawberry.input
class ReviewInput:
    rating: int = strawberry.field(description="1 to 5.")
    title: str = strawberry.field(description="Required; at most 200 characters.")
    body: str = strawberry.field(description=f"At most {REVIEW_BODY_MAX_LENGTH} characters; may be empty.")


@strawberry.type
class ReviewPayload:
    review: Review | None = payload_field()
    errors: list[UserError]


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(description="One review per customer and product; `verifiedPurchase` when they have a paid "
                                     "order with it. The product's rating includes it at once.")
    def review_create(self, info: Info, product_id: strawberry.ID, input: ReviewInput) -> ReviewPayload:
        user = require_user(info)
        with user_errors(ReviewPayload) as result:
            result.review = reviews.create_review(
                user, decode_id(product_id, Product, argument="productId"),
                rating=input.rating, title=input.title, body=input.body,
            )
        return result.payload
