"""Live order status over websockets against real daphne processes, as an order-tracking screen meets it."""
import asyncio
import secrets

import httpx
import pytest
import websockets
from django.contrib.sessions.backends.db import SessionStore

from commerce.accounts import tokens
from tests.fake_stripe import signed
from tests.realtime.client import MY_ORDERS_UPDATED, ORDER_UPDATED, ORDERS_UPDATED, STOREFRONT, Socket, gid, graphql, status_of
from tests.servers import deployed_env, start_daphne, start_worker, stop

pytestmark = [pytest.mark.e2e]


def post_webhook(base: str, stripe, order) -> None:
    body, signature = signed(stripe.succeed(order.payments.get().intent_id))
    assert httpx.post(f"{base}/webhooks/stripe/", content=body, headers={"Stripe-Signature": signature}).status_code == 200


def admin_action(base: str, staff_user, action: str, order) -> None:
    """What staff do in the Django admin of that process: select the order, run the action."""
    session = SessionStore()
    session["_auth_user_id"], session["_auth_user_backend"] = str(staff_user.pk), "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = staff_user.get_session_auth_hash()
    session.save()
    csrf = secrets.token_hex(16)  # an unmasked 32-character token, sent as the cookie and in the form
    response = httpx.post(f"{base}/admin/orders/order/", data={"action": action, "_selected_action": [order.pk],
                                                                "csrfmiddlewaretoken": csrf},
                          headers={"Cookie": f"sessionid={session.session_key}; csrftoken={csrf}"}, timeout=30)
    assert response.status_code == 302, response.text[:500]


def test_a_tracking_screen_sees_its_order_paid_shipped_and_delivered_across_processes(
    postgres, redis_url, redis_key_prefix, transactional_db, stripe, customer, staff_user, order_of, tmp_path
):
    staff_user.is_superuser = True
    staff_user.save()
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-live", STRIPE_API_BASE=stripe.base)
    worker = start_worker(env, tmp_path / "worker.log")
    screen_server, screen = start_daphne(env)
    shop_server, shop = start_daphne(env)
    customer_token, staff_token = tokens.sign_in(customer).access, tokens.sign_in(staff_user).access

    async def track():
        socket = await Socket.open(screen, token=customer_token)
        await socket.subscribe("1", ORDER_UPDATED, id=gid(order_of))
        seen = [status_of(await socket.update("1"))]  # the current state first, then every change
        await asyncio.to_thread(post_webhook, shop, stripe, order_of)  # Stripe -> the other web process -> the worker
        seen.append(status_of(await socket.update("1")))
        await asyncio.to_thread(graphql, shop, staff_token, 'mutation ($id: ID!) { orderFulfill(id: $id, carrier: "DHL") { errors { code } } }',
                id=gid(order_of))
        seen.append(status_of(await socket.update("1")))
        await asyncio.to_thread(admin_action, shop, staff_user, "mark_delivered", order_of)
        seen.append(status_of(await socket.update("1")))
        await socket.close()
        return seen

    try:
        seen = asyncio.run(track())
    finally:
        for process in (shop_server, screen_server, worker):
            stop(process)
    assert seen == [("UNPAID", "PLACED"), ("PAID", "PAYMENT_SUCCEEDED"), ("FULFILLED", "FULFILLED"),
                    ("DELIVERED", "DELIVERED")]


def test_embedded_mode_delivers_a_change_made_by_an_in_process_job(embedded_server, stripe, customer, order_of):
    token = tokens.sign_in(customer).access

    async def track():
        socket = await Socket.open(embedded_server, token=token, origin=STOREFRONT)
        await socket.subscribe("1", ORDER_UPDATED, id=gid(order_of))
        first = status_of(await socket.update("1"))
        await asyncio.to_thread(post_webhook, embedded_server, stripe, order_of)  # applied by the server's own job thread
        return first, status_of(await socket.update("1"))

    assert asyncio.run(track()) == (("UNPAID", "PLACED"), ("PAID", "PAYMENT_SUCCEEDED"))


def test_the_token_holder_staff_and_the_owners_account_feeds_all_hear_of_a_change(
    embedded_server, customer, staff_user, order_of
):
    staff_token, customer_token = tokens.sign_in(staff_user).access, tokens.sign_in(customer).access

    async def track():
        guest = await Socket.open(embedded_server)  # a guest's screen: the order token is the permission
        await guest.subscribe("g", ORDER_UPDATED, id=gid(order_of), token=order_of.token)
        mine = await Socket.open(embedded_server, token=customer_token)
        await mine.subscribe("m", MY_ORDERS_UPDATED)
        staff = await Socket.open(embedded_server, token=staff_token)
        await staff.subscribe("s", ORDERS_UPDATED)
        await guest.update("g")  # joined: the first message says so
        await asyncio.sleep(0.3)  # the feeds have no first message; give their joins a moment
        await asyncio.to_thread(graphql, embedded_server, staff_token,
                                'mutation ($id: ID!) { orderCancel(id: $id) { errors { code } } }', id=gid(order_of))
        return [status_of(await socket.update(id)) for socket, id in ((guest, "g"), (mine, "m"), (staff, "s"))]

    assert asyncio.run(track()) == [("CANCELLED", "CANCELLED")] * 3


def test_what_may_not_be_followed_is_refused_and_the_socket_stays_usable(embedded_server, customer, order_of):
    from commerce.accounts.models import User

    stranger = User.objects.create_user("stranger@example.com", "a stranger's passphrase")
    token = tokens.sign_in(stranger).access

    async def attempt():
        socket = await Socket.open(embedded_server, token=token)
        await socket.subscribe("theirs", ORDER_UPDATED, id=gid(order_of))
        refused = await socket.receive("theirs")
        await socket.subscribe("mine", MY_ORDERS_UPDATED)
        await socket.subscribe("staff", ORDERS_UPDATED)
        staff_refused = await socket.receive("staff")
        await socket.subscribe("guess", ORDER_UPDATED, id=gid(order_of), token="a-guess")
        guess_refused = await socket.receive("guess")
        await socket.subscribe("query", "{ shop { currency } }")
        still_usable = await socket.receive("query")
        return refused, staff_refused, guess_refused, still_usable

    refused, staff_refused, guess_refused, still_usable = asyncio.run(attempt())
    for message, code in ((refused, "FORBIDDEN"), (staff_refused, "FORBIDDEN"), (guess_refused, "FORBIDDEN")):
        assert message["type"] in {"next", "error"}
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == [code]
        assert message["type"] == "error" or message["payload"].get("data") is None  # nothing of the order
    assert still_usable["payload"] == {"data": {"shop": {"currency": "USD"}}}


def test_a_bad_token_closes_the_connection(embedded_server):
    async def attempt():
        ws = await websockets.connect(embedded_server.replace("http", "ws") + "/graphql/",
                                      subprotocols=["graphql-transport-ws"], open_timeout=10)
        await ws.send('{"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}')
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        return closed.value.rcvd.code

    assert asyncio.run(attempt()) == 4403


def test_a_foreign_origin_is_refused_and_no_origin_is_allowed(embedded_server):
    async def attempt(origin):
        try:
            socket = await Socket.open(embedded_server, origin=origin)
        except websockets.exceptions.InvalidStatus as refused:
            return refused.response.status_code
        await socket.close()
        return "open"

    assert asyncio.run(attempt("https://evil.example")) == 403
    assert asyncio.run(attempt(STOREFRONT)) == "open"
    assert asyncio.run(attempt(None)) == "open"


def test_at_most_ten_subscriptions_per_connection(embedded_server, customer, order_of):
    token = tokens.sign_in(customer).access

    async def attempt():
        socket = await Socket.open(embedded_server, token=token)
        for n in range(10):
            await socket.subscribe(str(n), ORDER_UPDATED, id=gid(order_of))
            await socket.update(str(n))
        await socket.subscribe("11th", ORDER_UPDATED, id=gid(order_of))
        return await socket.receive("11th")

    refused = asyncio.run(attempt())
    assert refused["type"] == "error"
    (error,) = refused["payload"]
    assert error["extensions"] == {"code": "MAX_SUBSCRIPTIONS_EXCEEDED", "maximum": 10, "value": 11}
