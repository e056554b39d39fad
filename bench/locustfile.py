"""A crowd of storefront shoppers, for Locust: `make load USERS=200` (bench/load.py) runs it against a local stack.

Each shopper visits as people do, waiting 1 to 5 s between steps: browses the catalog (a sorted page, sometimes
the next one), searches, narrows by facets, opens a product; three in ten then buy: a cart with two lines, the
address and shipping method, `checkoutComplete` (an UNPAID order and its Stripe PaymentIntent, from the fake),
then pay: the bank's confirmation arrives as Stripe's signed `payment_intent.succeeded` webhook (signed as Stripe
signs it, tests/fake_stripe.signed), which a worker applies; then the shopper tracks the order by its token until
it shows PAID (the track step fails if it does not within TRACK_TIMEOUT seconds). Every request is named after
its step; a GraphQL error or a payload's `errors` counts as a failure. Shoppers are anonymous, as most are, so
catalog pages come from the response cache when another shopper asked for them first.

    locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 -u 200 -r 20 -t 60s
"""
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fake_stripe import event, signed  # noqa: E402

BUY_SHARE = 0.3
TRACK_TIMEOUT = 15.0
SEARCHES = ("cotton", "linen", "wool", "classic", "shirt", "lamp", "mug", "oak")
SORTS = ("NAME", "PRICE", "CREATED_AT", "RATING")
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "line1": "1 Way", "city": "Berlin", "postalCode": "10115",
           "countryCode": "DE"}
CARD = ("id slug name isAvailable priceRange { min { amount currency } } category { name slug } images { url alt } "
        "variants { id isAvailable price { amount currency } }")
BROWSE = (f"query CatalogPage($sort: ProductSort, $after: String) {{ products(first: 20, sort: $sort, after: $after) "
          f"{{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {CARD} }} }} }} }}")
SEARCH = (f"query SearchPage($search: String!) {{ products(first: 20, filter: {{search: $search}}, "
          f"sort: {{field: RELEVANCE}}) {{ totalCount edges {{ node {{ {CARD} }} }} }} }}")
FACETS = (f"query FacetedPage($filter: ProductFilter) {{ products(first: 20, filter: $filter) {{ totalCount "
          f"facets {{ attribute {{ slug name }} values {{ value {{ slug name }} count }} }} "
          f"edges {{ node {{ {CARD} }} }} }} }}")
PRODUCT = """query ProductPage($slug: String!) { product(slug: $slug) { id name description isAvailable
  category { name slug } images { url alt } rating { average count }
  reviews(first: 5) { edges { node { rating } } }
  variants { id sku name isAvailable quantityAvailable price { amount currency } attributes { name value } } } }"""
SHIPPING = "query ShippingMethods { shippingMethods { id name } }"
CART_CREATE = """mutation CartCreate($lines: [CartLineInput!]) { cartCreate(input: {lines: $lines}) {
  cart { token lines { id quantity } total { amount } } errors { code message } } }"""
CART_ADD = """mutation CartLinesAdd($token: String!, $lines: [CartLineInput!]!) { cartLinesAdd(cartToken: $token,
  lines: $lines) { cart { token lines { id quantity } total { amount } } errors { code message } } }"""
CART_DETAILS = """mutation CartUpdate($token: String!, $method: ID!, $address: AddressInput!, $email: String!) {
  cartUpdate(cartToken: $token, input: {email: $email, shippingAddress: $address, shippingMethodId: $method}) {
  cart { total { amount } } errors { code message } } }"""
CHECKOUT = """mutation CheckoutComplete($token: String!) { checkoutComplete(cartToken: $token) {
  order { number token status total { amount currency } } payment { clientSecret amount { amount currency } }
  errors { code message } } }"""
TRACK = "query TrackOrder($token: String!) { order(token: $token) { number status paymentStatus } }"


class Shopper(FastHttpUser):
    wait_time = between(1, 5)
    shipping_method = None

    @task
    def visit(self):
        page = self.browse()
        if random.random() < 0.4 and page["pageInfo"]["hasNextPage"]:
            self.step()
            page = self.browse(after=page["pageInfo"]["endCursor"], sort=self._sort)
        self.step()
        found = self.graphql("search", SEARCH, {"search": random.choice(SEARCHES)})
        self.step()
        faceted = self.graphql("facet", FACETS, {"filter": self._facet_filter()})
        products = [edge["node"] for edge in (page["edges"] + (found or {}).get("edges", [])
                                              + (faceted or {}).get("edges", [])) if edge["node"]["isAvailable"]]
        if not products:
            return
        self.step()
        product = self.graphql("product", PRODUCT, {"slug": random.choice(products)["slug"]})
        if random.random() < BUY_SHARE and product:
            self.step()
            self.buy(product, products)

    def browse(self, after=None, sort=None):
        self._sort = sort or {"field": random.choice(SORTS), "direction": random.choice(("ASC", "DESC"))}
        return self.graphql("browse", BROWSE, {"sort": self._sort, "after": after}) or {
            "edges": [], "pageInfo": {"hasNextPage": False}}

    def buy(self, product, products):
        first = next((v for v in product["variants"] if v["isAvailable"]), None)
        other = next((v for p in random.sample(products, len(products)) for v in p["variants"] if v["isAvailable"]),
                     None)
        if first is None or other is None:
            return
        cart = self.graphql("cart", CART_CREATE, {"lines": [{"variantId": first["id"], "quantity": 1}]})
        if not cart:
            return
        token = cart["cart"]["token"]
        self.step()
        if not self.graphql("cart add", CART_ADD, {"token": token, "lines": [{"variantId": other["id"],
                                                                               "quantity": 1}]}):
            return
        self.step()
        method = self.shipping()
        if not method or not self.graphql("checkout details", CART_DETAILS, {
                "token": token, "method": method, "address": ADDRESS, "email": "shopper@example.com"}):
            return
        self.step()
        placed = self.graphql("checkout", CHECKOUT, {"token": token})
        if not placed or not placed["order"] or not placed["payment"]:
            return
        self.step()  # paying in the browser, then the bank answers
        self.pay(placed["payment"])
        self.step()
        self.track(placed["order"]["token"])

    def pay(self, payment):
        """Stripe's webhook once the card is charged: the intent (its id is the client secret's prefix) succeeded
        for the whole amount."""
        intent_id = payment["clientSecret"].split("_secret_")[0]
        minor = int(Decimal(payment["amount"]["amount"]) * 100)
        body, signature = signed(event("payment_intent.succeeded", {
            "id": intent_id, "object": "payment_intent", "amount": minor, "amount_received": minor,
            "currency": payment["amount"]["currency"].lower(), "status": "succeeded"}))
        with self.client.post("/webhooks/stripe/", data=body, name="pay (webhook)", catch_response=True,
                              headers={"Content-Type": "application/json", "Stripe-Signature": signature}) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    def track(self, token):
        """The order page, read again each second until the worker has applied the payment."""
        deadline = time.monotonic() + TRACK_TIMEOUT
        name = "track"
        while True:
            order = self.graphql(name, TRACK, {"token": token}, check=lambda data: data["order"] is not None)
            if order is None or order["status"] == "PAID":
                return
            if time.monotonic() > deadline:
                events.request.fire(request_type="CHECK", name="track: paid in time", response_time=0,
                                    response_length=0, exception=AssertionError(f"still {order['status']}"),
                                    context={})
                return
            name = "track (again)"
            time.sleep(1)

    def shipping(self):
        if Shopper.shipping_method is None:
            methods = self.graphql("shipping methods", SHIPPING, {})
            if methods:
                Shopper.shipping_method = methods[0]["id"] if isinstance(methods, list) else None
        return Shopper.shipping_method

    def graphql(self, name, query, variables, check=None):
        """The operation's root field's value, or None (and a failure recorded) if it did not work."""
        with self.client.post("/graphql/", data=json.dumps({"query": query, "variables": variables}), name=name,
                              headers={"Content-Type": "application/json"}, catch_response=True) as answer:
            try:
                body = answer.json()
            except (ValueError, TypeError):
                body = {}
            if answer.status_code != 200 or body.get("errors") or not body.get("data"):
                why = body.get("errors") or answer.error or answer.text[:200]  # status 0: no answer at all
                answer.failure(f"{answer.status_code}: {str(why)[:300]}")
                return None
            (value,) = body["data"].values()
            if isinstance(value, dict) and value.get("errors"):
                answer.failure(json.dumps(value["errors"])[:300])
                return None
            if check is not None and not check(body["data"]):
                answer.failure("unexpected answer")
                return None
            return value

    def step(self):
        """The shopper reads the page before the next click."""
        self.wait()

    @staticmethod
    def _facet_filter():
        return {"attributes": [{"slug": "color", "values": random.sample(["black", "navy", "white", "red"], 2)}],
                **({"search": random.choice(SEARCHES)} if random.random() < 0.5 else {})}


@events.quitting.add_listener
def summary(environment, **kwargs):
    """One line per step: requests, failures, requests/s, p50 and p95 (ms), as the issue asks for them."""
    stats = environment.stats
    print(f"\n{'step':<22} {'requests':>8} {'failures':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for entry in sorted(stats.entries.values(), key=lambda entry: entry.name):
        print(f"{entry.name:<22} {entry.num_requests:>8} {entry.num_failures:>8} {entry.total_rps:>7.1f} "
              f"{entry.get_response_time_percentile(0.5):>7.0f} {entry.get_response_time_percentile(0.95):>7.0f}")
    total = stats.total
    print(f"{'all':<22} {total.num_requests:>8} {total.num_failures:>8} {total.total_rps:>7.1f} "
          f"{total.get_response_time_percentile(0.5):>7.0f} {total.get_response_time_percentile(0.95):>7.0f}")
    for error in list(stats.errors.values())[:10]:
        print(f"  failure x{error.occurrences} {error.name}: {str(error.error)[:200]}")
