"""Operations over a websocket answer as they do over HTTP (graph/transport/streaming.py): queries and mutations run,
refusals are the operation's error with their code, unexpected errors are masked, and the socket follows its
sign-in."""
import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone
from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult

from commerce.accounts import tokens
from tests.realtime.client import ORDER_UPDATED, Socket, gid, graphql, status_of

pytestmark = [pytest.mark.e2e]
REPORT = '{ salesReport(from: "%s", to: "%s") { orders } }' % (
    (timezone.now() - timedelta(days=1)).isoformat(), (timezone.now() + timedelta(days=1)).isoformat())


def codes(message: dict) -> list[str]:
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors", [])
    return [error["extensions"]["code"] for error in errors]


def test_queries_and_mutations_run_over_a_socket_as_over_http(embedded_server, customer, store):
    """Apollo sends every operation over GraphQLWsLink unless the app splits them; sync resolvers used to fail
    on the socket's event loop with an unmasked "You cannot call this from an async context"."""
    token = tokens.sign_in(customer).access

    async def talk():
        socket = await Socket.open(embedded_server, token=token)
        answers = {}
        for id, query in [
            ("me", "{ me { email } }"),
            ("cart", "mutation { cartCreate(input: {lines: []}) { cart { lines { quantity } } errors { code } } }"),
            ("wish", 'mutation ($p: ID!) { wishlistAdd(productId: $p) { wishlist { name } errors { code } } }'),
            ("bad", "{ nope }"),
        ]:
            await socket.subscribe(id, query, p=_product_id(store))
            answers[id] = await socket.receive(id)
        await socket.close()
        return answers

    answers = asyncio.run(talk())
    assert answers["me"]["payload"] == {"data": {"me": {"email": customer.email}}}
    assert answers["cart"]["payload"] == {"data": {"cartCreate": {"cart": {"lines": []}, "errors": []}}}
    assert answers["wish"]["payload"] == {"data": {"wishlistAdd": {"wishlist": [{"name": store.shirt.product.name}],
                                                                     "errors": []}}}
    assert answers["bad"]["type"] == "error" and codes(answers["bad"]) == ["GRAPHQL_VALIDATION_FAILED"]


def _product_id(store) -> str:
    from strawberry import relay

    return relay.to_base64("Product", store.shirt.product.pk)


def test_a_socket_follows_its_sign_in_not_the_state_at_connection(embedded_server, staff_user):
    """A socket signs in once; each operation re-reads the sign-in, so a demotion counts at once and signing out
    ends what the socket may start."""
    from commerce.accounts.models import TokenFamily, User

    signed_in = tokens.sign_in(staff_user)

    async def talk():
        socket = await Socket.open(embedded_server, token=signed_in.access)
        await socket.subscribe("as staff", REPORT)
        as_staff = await socket.receive("as staff")
        await asyncio.to_thread(User.objects.filter(pk=staff_user.pk).update, is_staff=False)
        await socket.subscribe("demoted", REPORT)
        demoted = await socket.receive("demoted")
        await asyncio.to_thread(TokenFamily.objects.filter(user=staff_user).update, revoked_at=timezone.now())
        await socket.subscribe("signed out", "{ shop { currency } }")
        signed_out = await socket.receive("signed out")
        await socket.close()
        return as_staff, demoted, signed_out

    as_staff, demoted, signed_out = asyncio.run(talk())
    assert as_staff["payload"] == {"data": {"salesReport": {"orders": 0}}}
    assert codes(demoted) == ["FORBIDDEN"]
    assert signed_out["type"] == "error" and codes(signed_out) == ["UNAUTHENTICATED"]


def test_a_subscription_over_the_page_cap_is_refused_before_it_runs(embedded_server, customer, order_of):
    """Page sizes were only refused for queries: a subscription ran any page on every push, unpriced."""
    token = tokens.sign_in(customer).access
    oversized = ("subscription ($id: ID!) { orderUpdated(id: $id) { order { lines { variant { product "
                 "{ reviews(first: 101) { totalCount } } } } } } }")

    async def talk():
        socket = await Socket.open(embedded_server, token=token)
        await socket.subscribe("big", oversized, id=gid(order_of))
        refused = await socket.receive("big")
        await socket.subscribe("plain", ORDER_UPDATED, id=gid(order_of))
        plain = status_of(await socket.update("plain"))
        await socket.close()
        return refused, plain

    refused, plain = asyncio.run(talk())
    assert refused["type"] == "error" and codes(refused) == ["PAGE_SIZE_EXCEEDED"]
    assert plain == ("UNPAID", "PLACED")  # the socket stays usable


def test_unexpected_errors_in_streamed_results_are_masked(settings, caplog):
    """A socket's results leave before ErrorCodes' end-of-operation hook: each is finished on its way out."""
    from graph.transport.streaming import _answered, _once

    settings.DEBUG = False
    internal = GraphQLError("relation \"secret_table\" does not exist", path=["orderUpdated"],
                           original_error=RuntimeError("relation \"secret_table\" does not exist"))

    async def stream():
        return [result async for result in _answered(_once(ExecutionResult(data=None, errors=[internal])))]

    (result,) = asyncio.run(stream())
    (error,) = result.errors
    assert error.message == "Unexpected error." and "secret" not in str(error.extensions)
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR" and len(error.extensions["requestId"]) == 32
    assert error.extensions["requestId"] in caplog.text  # logged with its stack under that id


def test_a_live_feed_outlives_its_database_connection_dropping(postgres, embedded_server, customer, staff_user, order_of):
    """One failed fetch fails every delivery in its batch: without a retry on a fresh connection, a moment's
    database trouble ended every tracking screen the process held."""
    from django.db import connection

    customer_token, staff_token = tokens.sign_in(customer).access, tokens.sign_in(staff_user).access
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()

    def drop_the_servers_connections():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid NOT IN (pg_backend_pid(), %s)", [own])
            (dropped,) = cursor.fetchone()
        connection.close()
        return dropped

    async def track():
        socket = await Socket.open(embedded_server, token=customer_token)
        await socket.subscribe("1", ORDER_UPDATED, id=gid(order_of))
        first = status_of(await socket.update("1"))
        dropped = await asyncio.to_thread(drop_the_servers_connections)
        await asyncio.to_thread(graphql, embedded_server, staff_token,
                                'mutation ($id: ID!) { orderCancel(id: $id) { errors { code } } }', id=gid(order_of))
        changed = status_of(await socket.update("1"))
        await socket.close()
        return first, dropped, changed

    first, dropped, changed = asyncio.run(track())
    assert dropped >= 1  # the server's connection, which its next load finds dead
    assert (first, changed) == (("UNPAID", "PLACED"), ("CANCELLED", "CANCELLED"))


def test_checkout_over_a_socket_is_idempotent_by_the_operations_extension(embedded_server, store, ready_cart):
    """checkoutComplete reads the request's Idempotency-Key; over a socket there is no request, and it answered
    INTERNAL_SERVER_ERROR ('dict' object has no attribute 'request'). The key rides in the operation's
    `extensions.idempotencyKey` there, and a retry with it replays the same order."""
    from commerce.orders.models import Order
    from tests.orders.conftest import CHECKOUT

    cart = ready_cart((store.shirt, 1))
    key = {"idempotencyKey": "socket-retry-1"}

    async def talk():
        socket = await Socket.open(embedded_server)
        answers = []
        for attempt in ("first", "retry"):
            await socket.subscribe(attempt, CHECKOUT, extensions=key, token=cart.token)
            answers.append(await socket.receive(attempt))
        await socket.close()
        return answers

    first, retry = asyncio.run(talk())
    assert first["type"] == "next" and "errors" not in first["payload"], first
    placed = first["payload"]["data"]["checkoutComplete"]
    assert placed["errors"] == [] and placed["order"]["status"] == "UNPAID"
    assert retry["payload"] == first["payload"]
    assert Order.objects.count() == 1


def test_sign_in_over_a_socket_draws_on_the_address_bucket(embedded_server, customer, settings):
    """tokenCreate reads the caller's address (for its per-address bucket) from the request: over a socket it
    comes from the connection, as the one context gives it on both transports."""
    query = 'mutation ($e: String!) { tokenCreate(email: $e, password: "wrong") { errors { code } } }'

    async def talk():
        socket = await Socket.open(embedded_server)
        await socket.subscribe("sign in", query, e=customer.email)
        answer = await socket.receive("sign in")
        await socket.close()
        return answer

    answer = asyncio.run(talk())
    assert answer["payload"] == {"data": {"tokenCreate": {"errors": [{"code": "INVALID_CREDENTIALS"}]}}}
