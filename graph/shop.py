import strawberry
from django.conf import settings

from graph.payments import PaymentGateway, payment_gateways


@strawberry.type(description="The shop's settings a storefront needs before anything else.")
class Shop:
    name: str
    currency: str
    countries: list[str]
    stripe_publishable_key: str | None = strawberry.field(
        deprecation_reason="Use `paymentGateways`: the stripe gateway's `publishableKey` config item.")

    @strawberry.field(description="The gateways a buyer may choose at checkout, the default first.")
    def payment_gateways(self) -> list[PaymentGateway]:
        return payment_gateways()


@strawberry.type
class ShopQuery:
    @strawberry.field
    def shop(self) -> Shop:
        return Shop(
            name=settings.SHOP_NAME,
            currency=settings.SHOP_CURRENCY,
            countries=list(settings.SHOP_COUNTRIES),
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        )
