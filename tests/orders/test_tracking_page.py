"""The order-tracking page over HTTP, in this process: what it shows of an order, in the reader's language, with its
headers; the same plain 404 for every token that opens nothing; the guessing throttle; and the emails that link it.
(tests/browser/test_tracking_page.py drives it in Chromium, live.)"""
import gettext
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings

from commerce.orders import links, services
from commerce.orders.models import Order
from tests.conftest import _missing
from tests.orders.conftest import place

TOKEN_SHAPED = "Zq3_kT9xVb-2LmN8pRs4uWy6Ae1Cd5Fg"  # well-formed, opens nothing
LOCALE = Path(__file__).resolve().parents[2] / "commerce" / "orders" / "locale"


@pytest.fixture
def order(gql, store, ready_cart, staff_user, pay):
    """A paid order of two lines, shipped with a carrier's tracking link, and a staff note it must not show."""
    from commerce.orders.models import OrderEventType

    placed = Order.objects.get(token=place(gql, ready_cart((store.shirt, 2), (store.mug, 1)))["order"]["token"])
    pay(placed)
    services.record_event(placed, OrderEventType.NOTE, actor=staff_user, message="Customer is a VIP, staff only")
    return services.fulfill(placed, actor=staff_user, carrier="DHL", tracking_number="JD0001",
                            tracking_url="https://track.example/JD0001")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_page_shows_the_order_its_timeline_and_its_parcel(client, order, django_assert_num_queries):
    with django_assert_num_queries(4):  # the order, its lines, its events, its parcels: however many there are
        response = client.get(f"/orders/{order.token}/")
    assert response.status_code == 200
    text = text_of(response)
    assert f"Order #{order.number}" in text and "Linen Shirt" in text and "Ceramic Mug" in text
    assert f"Total {order.total} {order.currency}" in text
    assert re.search(r"Order status Shipped .*Payment Paid", text)
    assert re.search(r"Order placed .*Payment received .*Shipped", text)  # the timeline, oldest first
    assert "DHL" in text and "JD0001" in text
    assert 'href="https://track.example/JD0001" rel="noreferrer noopener"' in response.content.decode()
    for private in (order.email, "VIP", "Paid with"):  # no email address, staff note or event message
        assert private not in text
    assert 'data-status="FULFILLED"' in response.content.decode()


def test_the_headers_keep_the_token_and_the_page_to_the_reader(client, order):
    response = client.get(f"/orders/{order.token}/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts
    assert " style=" not in html and "<style" not in html and "http://" not in html.replace(
        "https://track.example", "")  # nothing inline, nothing from elsewhere


@pytest.mark.parametrize("token", [TOKEN_SHAPED, "short", "x" * 65, "not%20a%20token", "a.b.c.d.e.f.g.h.i.j.k.l"])
def test_a_token_that_opens_nothing_is_one_plain_404(client, order, token):
    response = client.get(f"/orders/{token}/")
    assert response.status_code == 404
    assert response["Cache-Control"] == "private, no-store" and response["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert text_of(response) == text_of(client.get(f"/orders/{TOKEN_SHAPED}/"))  # one page, whatever the reason
    assert token not in response.content.decode() and str(order.number) not in text_of(response)
    assert "<script" not in response.content.decode()


@override_settings(DEBUG=True)
def test_the_404_reveals_nothing_even_with_debug_on(client, order):
    response = client.get(f"/orders/{TOKEN_SHAPED}/")
    assert response.status_code == 404 and "urlpatterns" not in response.content.decode()
    assert "graphql" not in text_of(response).lower()


@override_settings(GRAPHQL_THROTTLE_MAXIMUM=100, GRAPHQL_THROTTLE_RESTORE_RATE=1, ORDER_TRACKING_PAGE_COST=25)
def test_guessing_drains_the_address_bucket_the_api_uses(client, order):
    cache.clear()
    answers = [client.get(f"/orders/{TOKEN_SHAPED}/").status_code for _ in range(4)]
    assert answers == [404] * 4
    refused = client.get(f"/orders/{order.token}/")  # even the right token waits now: the bucket is the address's
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused["Cache-Control"] == "private, no-store"
    api = client.post("/graphql/", {"query": "{ shop { name } }"}, content_type="application/json")
    assert api.json()["errors"][0]["extensions"]["code"] == "THROTTLED"  # one bucket for page and API


def test_only_get_and_head(client, order):
    assert client.head(f"/orders/{order.token}/").status_code == 200
    assert client.post(f"/orders/{order.token}/").status_code == 405


def test_the_page_speaks_the_readers_language(client, order):
    response = client.get(f"/orders/{order.token}/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    text = text_of(response)
    assert response["Content-Language"] == "fr" and '<html lang="fr">' in response.content.decode()
    assert f"Commande n° {order.number}" in text and "Expédiée" in text and "Paiement reçu" in text
    catalog = json.loads(re.search(r'<script id="tracking-catalog" type="application/json">(.*?)</script>',
                                   response.content.decode()).group(1))
    assert catalog["status"]["PAID"] == "Payée" and catalog["payment"]["PAID"] == "Payé"  # what the script writes
    assert "Not found" not in text_of(client.get("/orders/nothing-here/", HTTP_ACCEPT_LANGUAGE="fr"))
    english = client.get(f"/orders/{order.token}/", HTTP_ACCEPT_LANGUAGE="de-DE")  # not offered: the default
    assert english["Content-Language"] == "en" and "Shipped" in text_of(english)


def test_the_compiled_catalog_is_the_one_its_source_makes(tmp_path):
    """The .mo beside each .po is what msgfmt makes of it: a translation edited without compiling fails here."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        _missing("GNU gettext's msgfmt (apt-get install gettext)")
    sources = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
    assert sources
    for source in sources:
        compiled = tmp_path / "django.mo"
        subprocess.run([msgfmt, "--check", "-o", str(compiled), str(source)], check=True, timeout=30)
        with open(compiled, "rb") as fresh, open(source.with_suffix(".mo"), "rb") as kept:
            assert gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(kept)._catalog, source


# --- The emails that link it


def test_every_order_email_links_the_page(gql, store, ready_cart, staff_user, jobs, mailoutbox, pay):
    order = Order.objects.get(token=place(gql, ready_cart((store.mug, 1)))["order"]["token"])
    pay(order)
    services.fulfill(order, actor=staff_user, carrier="DHL", tracking_url="https://track.example/1")
    services.mark_delivered(order, actor=staff_user)
    jobs.run()
    subjects = sorted(m.subject for m in mailoutbox)
    number = order.number
    assert subjects == sorted([f"Your Demo Shop order #{number}", f"Your Demo Shop order #{number} is paid",
                               f"Your Demo Shop order #{number} is on its way",
                               f"Your Demo Shop order #{number} has been delivered"])
    page = links.tracking_url(order)
    for message in mailoutbox:
        assert page in message.body and f'href="{page}"' in message.alternatives[0][0], message.subject


def test_a_refund_and_a_cancellation_are_emailed_with_the_link(gql, store, ready_cart, staff_gql, jobs, mailoutbox,
                                                                pay):
    from tests.orders.conftest import CANCEL

    order = Order.objects.get(token=place(gql, ready_cart((store.mug, 1)))["order"]["token"])
    pay(order)
    jobs.run()
    mailoutbox.clear()
    assert staff_gql(CANCEL, {"id": _order_id(order)}).ok()["orderCancel"]["errors"] == []  # refunds first
    jobs.run()
    news = [m for m in mailoutbox if "credit note" not in m.subject]  # the refund's credit note comes too (invoices)
    assert sorted(m.subject for m in news) == sorted([f"Your Demo Shop order #{order.number} was refunded",
                                                      f"Your Demo Shop order #{order.number} was cancelled"])
    assert all(links.tracking_url(order) in m.body for m in news) and len(mailoutbox) == 3


def _order_id(order) -> str:
    from strawberry import relay

    return relay.to_base64("Order", order.pk)
