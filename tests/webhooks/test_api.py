"""Staff manage endpoints over GraphQL: the contract's names, staff only, URLs checked when given, the secret shown
once, rotation with an overlap, endpoints turned off after a day of failures, and a list whose SQL is pinned."""
from datetime import timedelta

import pytest
from django.utils import timezone

from commerce import signing
from commerce.webhooks import services
from commerce.webhooks.models import Attempt, Delivery, Webhook
from tests.carts.conftest import gid

FIELDS = "webhook { id url events isActive } secret errors { field code message }"
CREATE = f"mutation ($input: WebhookInput!) {{ webhookCreate(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"mutation ($id: ID!, $input: WebhookInput!) {{ webhookUpdate(id: $id, input: $input) {{ {FIELDS} }} }}"
DELETE = f"mutation ($id: ID!) {{ webhookDelete(id: $id) {{ {FIELDS} }} }}"
ROTATE = f"mutation ($id: ID!) {{ webhookRotateSecret(id: $id) {{ {FIELDS} }} }}"
LIST = """query ($first: Int, $deliveries: Int) { webhooks(first: $first) { edges { node { id url events isActive
  deliveries(first: $deliveries) { edges { node { id event status attempts responseStatus createdAt } } } } } } }"""


def test_webhooks_are_for_staff_only(gql, customer):
    assert gql(LIST).codes == ["FORBIDDEN"]
    assert gql.login(customer)(CREATE, {"input": {"url": "https://erp.example/hook", "events": ["ORDER_PAID"]}}
                               ).codes == ["FORBIDDEN"]
    assert not Webhook.objects.exists()


def test_creating_an_endpoint_shows_its_secret_once(staff_gql):
    created = staff_gql(CREATE, {"input": {"url": "https://erp.example/hook", "events": ["ORDER_PAID", "ORDER_PAID",
                                                                                            "STOCK_LOW"]}}
                        ).ok()["webhookCreate"]
    assert created["errors"] == [] and created["secret"].startswith("whsec_")
    assert created["webhook"]["events"] == ["ORDER_PAID", "STOCK_LOW"] and created["webhook"]["isActive"]
    updated = staff_gql(UPDATE, {"id": created["webhook"]["id"], "input": {"isActive": False}}).ok()["webhookUpdate"]
    assert updated["secret"] is None and updated["webhook"]["isActive"] is False
    assert updated["webhook"]["url"] == "https://erp.example/hook"


@pytest.mark.parametrize("input, field, code", [
    ({"events": ["ORDER_PAID"]}, "url", "REQUIRED"),
    ({"url": "https://erp.example/hook"}, "events", "REQUIRED"),
    ({"url": "https://erp.example/hook", "events": []}, "events", "INVALID"),
    ({"url": "http://erp.example/hook", "events": ["ORDER_PAID"]}, "url", "INVALID"),  # https unless allowed
    ({"url": "ftp://erp.example/hook", "events": ["ORDER_PAID"]}, "url", "INVALID"),
    ({"url": "https://127.0.0.1/hook", "events": ["ORDER_PAID"]}, "url", "INVALID"),
    ({"url": "https://169.254.169.254/", "events": ["ORDER_PAID"]}, "url", "INVALID"),
    ({"url": "https://[::ffff:10.0.0.1]/", "events": ["ORDER_PAID"]}, "url", "INVALID"),
    ({"url": "https://user:pw@erp.example/", "events": ["ORDER_PAID"]}, "url", "INVALID"),
])
def test_an_endpoint_is_checked_when_created(staff_gql, input, field, code):
    payload = staff_gql(CREATE, {"input": input}).ok()["webhookCreate"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", field], code)]
    assert payload["webhook"] is None and payload["secret"] is None and not Webhook.objects.exists()


def test_deleting_an_endpoint_takes_its_deliveries(staff_gql):
    webhook, _ = services.create_webhook(url="https://erp.example/hook", events=["ORDER_PAID"])
    services.record([("ORDER_PAID", "order", 1)])
    payload = staff_gql(DELETE, {"id": gid("Webhook", webhook.pk)}).ok()["webhookDelete"]
    assert payload["webhook"]["url"] == "https://erp.example/hook" and payload["errors"] == []
    assert not Webhook.objects.exists() and not Delivery.objects.exists()


def test_a_rotated_secret_overlaps_with_the_old_one_then_replaces_it(db, staff_gql, local_receivers, receiver):
    webhook, old = services.create_webhook(url=receiver.url, events=["ORDER_PAID"])
    new = staff_gql(ROTATE, {"id": gid("Webhook", webhook.pk)}).ok()["webhookRotateSecret"]["secret"]
    assert new.startswith("whsec_") and new != old

    receiver.secrets = [old]  # a receiver not yet switched still verifies during the overlap...
    services.attempt(services.record([("ORDER_PAID", "order", 1)])[0])
    receiver.secrets = [new]  # ...and one already switched does too
    services.attempt(services.record([("ORDER_PAID", "order", 2)])[0])
    assert [r.verified for r in receiver.received] == [True, True]

    Webhook.objects.filter(pk=webhook.pk).update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    services.attempt(services.record([("ORDER_PAID", "order", 3)])[0])
    header = receiver.received[-1].headers[signing.HEADER.lower()]
    assert header.count("v1=") == 1 and receiver.received[-1].verified
    with pytest.raises(signing.BadSignature):
        signing.verify(header, receiver.received[-1].body, [old])


def test_an_endpoint_failing_for_a_day_is_turned_off_and_staff_are_told(staff_user, jobs, local_receivers, receiver,
                                                                        mailoutbox):
    webhook, _ = services.create_webhook(url=receiver.url, events=["ORDER_PAID"])
    a_day_ago = timezone.now() - timedelta(seconds=local_receivers.WEBHOOK_DISABLE_AFTER_SECONDS + 60)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=a_day_ago)  # failing since yesterday
    receiver.reply(503)
    services.record([("ORDER_PAID", "order", 1)])
    jobs.run()

    webhook.refresh_from_db()
    assert webhook.is_active is False and webhook.disabled_at is not None
    assert Delivery.objects.get().status == "FAILED"  # no retry to an endpoint turned off
    (notice,) = [m for m in mailoutbox if m.to == [staff_user.email]]
    assert notice.subject == f"Webhook turned off: {receiver.url}"
    assert services.record([("ORDER_PAID", "order", 2)]) == []  # nothing more is owed to it
    assert len(receiver.received) == 1


def test_a_success_ends_a_failing_streak(db, local_receivers, receiver):
    webhook, _ = services.create_webhook(url=receiver.url, events=["ORDER_PAID"])
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - timedelta(hours=23))
    services.attempt(services.record([("ORDER_PAID", "order", 1)])[0])
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.failing_since is None


def test_a_delivery_gives_up_after_a_day(db, local_receivers, receiver):
    services.create_webhook(url=receiver.url, events=["ORDER_PAID"])
    (delivery_id,) = services.record([("ORDER_PAID", "order", 1)])
    Delivery.objects.filter(pk=delivery_id).update(retry_until=timezone.now() + timedelta(milliseconds=500))
    receiver.reply(500)
    assert services.attempt(delivery_id) is None  # the next retry would fall after the day
    assert Delivery.objects.get().status == "FAILED"


def test_listing_endpoints_costs_the_same_at_any_page_size(staff_gql):
    def endpoints(count: int, deliveries: int):
        Webhook.objects.all().delete()
        for n in range(count):
            services.create_webhook(url=f"https://erp{n}.example/hook", events=["ORDER_PAID"])
        for n in range(deliveries):
            for delivery_id in services.record([("ORDER_PAID", "order", n)]):
                Attempt.objects.create(delivery_id=delivery_id, response_status=200, succeeded=True)
        Delivery.objects.update(attempts=1, response_status=200, status="SUCCEEDED")

    endpoints(2, 2)
    small = staff_gql(LIST, {"first": 2, "deliveries": 2})
    endpoints(8, 6)
    large = staff_gql(LIST, {"first": 8, "deliveries": 5})
    edges = large.ok()["webhooks"]["edges"]
    assert len(edges) == 8 and all(len(e["node"]["deliveries"]["edges"]) == 5 for e in edges)
    assert edges[0]["node"]["deliveries"]["edges"][0]["node"]["event"] == "ORDER_PAID"
    assert small.queries == large.queries == 3, small.queries  # the caller, the endpoints, their deliveries


REDELIVER = "mutation ($id: ID!) { webhookRedeliver(deliveryId: $id) { errors { field code } } }"


def test_redelivering_is_throttled_and_needs_the_endpoint_on(staff_gql, settings):
    settings.WEBHOOK_REDELIVER_MAX_PER_MINUTE = 2
    webhook, _ = services.create_webhook(url="https://erp.example/hook", events=["ORDER_PAID"])
    delivery = gid("WebhookDelivery", services.record([("ORDER_PAID", "order", 1)])[0])
    assert staff_gql(REDELIVER, {"id": delivery}).ok()["webhookRedeliver"]["errors"] == []
    Webhook.objects.update(is_active=False)
    assert staff_gql(REDELIVER, {"id": delivery}).ok()["webhookRedeliver"]["errors"] == [
        {"field": ["deliveryId"], "code": "INVALID"}]
    assert staff_gql(REDELIVER, {"id": delivery}).ok()["webhookRedeliver"]["errors"] == [
        {"field": ["deliveryId"], "code": "THROTTLED"}]
    assert staff_gql(REDELIVER, {"id": gid("WebhookDelivery", 999)}).ok()["webhookRedeliver"]["errors"][0][
        "code"] == "THROTTLED"  # counted before it is looked up: guessing ids costs the same
