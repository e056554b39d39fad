"""A ticket conversation over real daphne and a real worker, on PostgreSQL and Redis: the guest's screen (following
with the token from its email) and staff's screen both see every message live, and the emails go both ways."""
import asyncio

import httpx
import pytest

from commerce.accounts import tokens
from tests.mail import files_to, token_in
from tests.payments.e2e import wait_for
from tests.realtime.client import Socket
from tests.servers import deployed_env, start_daphne, stop, worker_and_daphne
from tests.support.conftest import CLOSE, CREATE, GUEST_URL, REPLY, make_order

pytestmark = [pytest.mark.e2e]
LIVE = """subscription ($id: ID!, $t: String) { ticketUpdated(id: $id, token: $t) {
  id status messages { author fromStaff body } } }"""


def post(base: str, query: str, access: str | None = None, **variables) -> dict:
    headers = {"Authorization": f"Bearer {access}"} if access else {}
    body = httpx.post(f"{base}/graphql/", json={"query": query, "variables": variables}, headers=headers,
                      timeout=30).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["errors"] == [], payload
    return payload["ticket"]


@pytest.fixture
def support_desk(postgres, redis_url, redis_key_prefix, transactional_db, tmp_path):
    """daphne and a worker on this run's database and Redis, writing emails to files; yields (url, mail dir)."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = deployed_env(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"{redis_key_prefix}-support",
                       EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir),
                       SUPPORT_EMAIL="help@shop.example", SUPPORT_GUEST_TICKET_URL=GUEST_URL)
    with worker_and_daphne(env, tmp_path) as base:
        yield base, mail_dir


def emailed_token(mail_dir, ticket_id: str) -> str:
    assert wait_for(lambda: files_to(mail_dir, "guest@example.com")), "the worker sent the guest no email"
    link = GUEST_URL.replace("{id}", ticket_id.replace("=", "%3D"))  # the ID as the link quotes it
    return token_in(files_to(mail_dir, "guest@example.com")[0], link)


def seen(update: dict) -> tuple[str, list[tuple[bool, str]]]:
    return update["status"], [(m["fromStaff"], m["body"]) for m in update["messages"]]


def test_a_ticket_conversation_reaches_the_guests_and_staffs_screens_live(support_desk, staff_user):
    base, mail_dir = support_desk
    order = make_order(email="guest@example.com")
    staff_access = tokens.sign_in(staff_user).access

    ticket = post(base, CREATE, s="Broken mug", b="It arrived in pieces.", t=order.token)
    token = emailed_token(mail_dir, ticket["id"])

    async def converse():
        guest = await Socket.open(base)
        staff = await Socket.open(base, token=staff_access)
        await guest.subscribe("g", LIVE, id=ticket["id"], t=token)
        await staff.subscribe("s", LIVE, id=ticket["id"])
        screens = ((guest, "g"), (staff, "s"))
        timeline = [[seen(await socket.update(id)) for socket, id in screens]]  # the current state first
        for query, access, variables in (
            (REPLY, staff_access, {"b": "So sorry! A new one is on its way."}),
            (REPLY, None, {"b": "Thank you!", "t": token}),
            (CLOSE, None, {"t": token}),
        ):
            await asyncio.to_thread(post, base, query, access, id=ticket["id"], **variables)
            timeline.append([seen(await socket.update(id)) for socket, id in screens])
        intruder = await Socket.open(base)
        await intruder.subscribe("x", LIVE, id=ticket["id"], t=token[:-2] + "xx")
        refused = await intruder.receive("x")
        for socket in (guest, staff, intruder):
            await socket.close()
        return timeline, refused

    timeline, refused = asyncio.run(converse())
    first = (False, "It arrived in pieces.")
    answer, thanks = (True, "So sorry! A new one is on its way."), (False, "Thank you!")
    assert [screens[0] for screens in timeline] == [screens[1] for screens in timeline]  # both saw the same
    assert [screens[0] for screens in timeline] == [
        ("OPEN", [first]), ("WAITING_ON_CUSTOMER", [first, answer]), ("WAITING_ON_STAFF", [first, answer, thanks]),
        ("CLOSED", [first, answer, thanks])]
    assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"

    # The worker mailed each message to the other side: staff's answer to the guest, the guest's to the desk.
    assert wait_for(lambda: len(files_to(mail_dir, "help@shop.example")) == 2)
    assert wait_for(lambda: any("So sorry!" in text for text in files_to(mail_dir, "guest@example.com")))
    to_desk = "".join(files_to(mail_dir, "help@shop.example"))
    assert "It arrived in pieces." in to_desk and "Thank you!" in to_desk


@pytest.fixture
def embedded_desk(transactional_db):
    """One daphne in embedded mode (the in-memory layer, jobs in the server process), on any database."""
    process, base = start_daphne(deployed_env(REDIS_URL=""))
    yield base
    stop(process)


def test_in_embedded_mode_the_customer_follows_their_ticket_and_no_one_else_may(
    embedded_desk, customer, stranger, staff_user
):
    from commerce.support import services
    from tests.support.conftest import gid

    ticket = services.open_ticket(customer, subject="Gift wrap?", body="Can you wrap it?")
    ticket_id = gid("Ticket", ticket.pk)
    staff_access, customer_access = tokens.sign_in(staff_user).access, tokens.sign_in(customer).access
    stranger_access = tokens.sign_in(stranger).access

    async def follow():
        mine = await Socket.open(embedded_desk, token=customer_access)
        await mine.subscribe("m", LIVE, id=ticket_id)
        first = seen(await mine.update("m"))
        await asyncio.to_thread(post, embedded_desk, REPLY, staff_access, id=ticket_id, b="Gladly.")
        answered = seen(await mine.update("m"))
        theirs = await Socket.open(embedded_desk, token=stranger_access)
        await theirs.subscribe("t", LIVE, id=ticket_id)
        refused = await theirs.receive("t")
        await mine.close()
        await theirs.close()
        return first, answered, refused

    first, answered, refused = asyncio.run(follow())
    assert first == ("OPEN", [(False, "Can you wrap it?")])
    assert answered == ("WAITING_ON_CUSTOMER", [(False, "Can you wrap it?"), (True, "Gladly.")])
    assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
