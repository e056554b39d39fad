"""A live feed ends with its sign-in (graph/transport/sign_ins.py): signing out, a password change and deactivation
complete the socket's subscriptions and close it with 4403, however the sign-in ended and in whichever process."""
import asyncio
import json

import pytest
import websockets
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from commerce.accounts import tokens
from tests.realtime.client import MY_ORDERS_UPDATED, ORDER_UPDATED, RECEIVE_TIMEOUT, Socket, gid, graphql, status_of
from tests.servers import deployed_env, start_daphne, stop

pytestmark = [pytest.mark.e2e]


def sign_out(base, pair, user):
    graphql(base, pair.access, "mutation ($r: String!) { tokenRevoke(refreshToken: $r) { errors { code } } }",
            r=pair.refresh)


def change_password(base, pair, user):
    """Through the server's API."""
    answer = graphql(base, pair.access, 'mutation { passwordChange(oldPassword: "a-long-password-1", '
                               'newPassword: "another-long-password-2") { errors { code } } }')
    assert answer == {"passwordChange": {"errors": []}}


def deactivate(base, pair, user):
    """As staff do in the admin, from another process (this one): the message crosses Redis."""
    user.is_active = False
    user.save()


async def ended(socket: Socket, *ids: str) -> tuple[list[str], int]:
    """Each subscription's last message type, once the socket has closed, and the close code."""
    last = {}
    try:
        while True:
            message = json.loads(await asyncio.wait_for(socket.ws.recv(), RECEIVE_TIMEOUT))
            last[message.get("id")] = message["type"]
    except websockets.ConnectionClosed as closed:
        return [last.get(id) for id in ids], closed.rcvd.code


@pytest.fixture(scope="module")
def redis_server(django_db_setup, django_db_blocker, redis_url, redis_key_prefix):
    """One daphne on the Redis layer, on this run's keys (so this process's announcements reach it). Its check
    by the clock is an hour away: a socket it closes was told."""
    with django_db_blocker.unblock():
        env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_key_prefix,
                           GRAPHQL_WS_SIGN_IN_CHECK_SECONDS="3600")
    process, base = start_daphne(env)
    yield base
    stop(process)


@pytest.mark.parametrize("end", [sign_out, change_password, deactivate])
def test_a_sign_in_that_ends_ends_its_live_feeds(postgres, redis_server, transactional_db, customer, order_of, end):
    base = redis_server
    # Stored as the server hashes passwords (the suite's fast hasher is not among the deployed settings').
    customer.password = PBKDF2PasswordHasher().encode("a-long-password-1", "salt" * 4, iterations=1000)
    customer.save(update_fields=["password"])
    pair = tokens.sign_in(customer)

    async def talk():
        socket = await Socket.open(base, token=pair.access)
        await socket.subscribe("order", ORDER_UPDATED, id=gid(order_of))
        await socket.subscribe("mine", MY_ORDERS_UPDATED)
        assert status_of(await socket.update("order")) == ("UNPAID", "PLACED")
        await asyncio.to_thread(end, base, pair, customer)
        return await ended(socket, "order", "mine")

    last, code = asyncio.run(asyncio.wait_for(talk(), 60))
    assert (last, code) == (["complete", "complete"], 4403)


def test_a_sign_in_ended_behind_the_servers_back_is_found_by_the_periodic_check(transactional_db, stripe, customer,
                                                                                order_of):
    """A revocation no message told of (written straight to the table) is found within the check's interval."""
    from commerce.accounts.models import TokenFamily

    process, base = start_daphne(deployed_env(REDIS_URL="", STRIPE_API_BASE=stripe.base,
                                              GRAPHQL_WS_SIGN_IN_CHECK_SECONDS="1"))
    pair = tokens.sign_in(customer)

    async def talk():
        socket = await Socket.open(base, token=pair.access)
        await socket.subscribe("order", ORDER_UPDATED, id=gid(order_of))
        assert status_of(await socket.update("order")) == ("UNPAID", "PLACED")
        await asyncio.to_thread(TokenFamily.objects.filter(user=customer).update, revoked_at=timezone.now())
        return await ended(socket, "order")

    try:
        last, code = asyncio.run(asyncio.wait_for(talk(), 60))
    finally:
        stop(process)
    assert (last, code) == (["complete"], 4403)


def test_signing_out_one_device_leaves_the_others_open(embedded_server, customer, order_of):
    """Sign-out through the embedded server's own API (in-memory layer); the other sign-in's socket stays."""
    phone, laptop = tokens.sign_in(customer), tokens.sign_in(customer)

    async def talk():
        on_phone = await Socket.open(embedded_server, token=phone.access)
        on_laptop = await Socket.open(embedded_server, token=laptop.access)
        for socket in (on_phone, on_laptop):
            await socket.subscribe("order", ORDER_UPDATED, id=gid(order_of))
            await socket.update("order")
        await asyncio.to_thread(sign_out, embedded_server, phone, customer)
        phone_end = await ended(on_phone, "order")
        await on_laptop.subscribe("me", "{ me { email } }")
        laptop_answer = await on_laptop.receive("me")
        await on_laptop.close()
        return phone_end, laptop_answer

    (last, code), answer = asyncio.run(asyncio.wait_for(talk(), 60))
    assert (last, code) == (["complete"], 4403)
    assert answer["payload"] == {"data": {"me": {"email": customer.email}}}
