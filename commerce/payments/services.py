"""Payments, where the provider's word decides, and so where every change of an order that involves money starts.

One flow for every gateway (commerce.payments.gateways): each translates its provider into our words, and this
module alone decides. An order becomes PAID only when the provider says (a signed event, or its own answer when
asked) that its payment succeeded for the order's exact amount and currency; a client's word (a confirm call, a
redirect back) and an event that proves too little are checked with the provider first.
Events are recorded once and applied by a job; each payment's figures only grow and the order's state is derived
from them, so late, repeated and out-of-order events converge. Cancelling and expiring start here, as an order's
open payments must be closed at the provider first. Provider calls are made outside transactions that hold
locks, and what was committed before a provider failure stays committed.
"""
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from commerce import audit
from commerce.errors import DomainError
from commerce.events import announce
from commerce.money import from_minor, to_minor
from commerce.orders import services as orders
from commerce.orders.models import Order, OrderEventType, OrderStatus, PaymentStatus
from commerce.payments import gateways
from commerce.payments.gateways import get_gateway
from commerce.payments.gateways.base import (
    MANUAL_REFUND_PREFIX,
    EventKind,
    InvalidProof,
    PaymentRequest,
    PaymentState,
    ProviderError,
    ProviderEvent,
    event_identity,
)
from commerce.payments.models import IntentStatus, Payment, Refund, WebhookEvent
from commerce.payments.signals import payment_polling, stray_payment, webhook_received

# Intents a customer could still pay: a failed one goes back to awaiting a payment method at Stripe.
OPEN = {IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_ACTION, IntentStatus.PROCESSING,
        IntentStatus.FAILED}
FINAL = {IntentStatus.SUCCEEDED, IntentStatus.FAILED, IntentStatus.CANCELED}
MONEY_RECEIVED = {OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.DELIVERED}


class PaymentError(DomainError):
    code = "PAYMENT_PROVIDER_ERROR"


# --- Choosing a gateway, opening a payment, confirming it


def choose_gateway(gateway_id: str | None, currency: str) -> str:
    """The gateway a payment goes through: `gateway_id` if the shop offers it for `currency`, else the first the
    shop offers (PAYMENT_GATEWAYS' order). Checked before checkout writes anything: a shop with no gateway
    refuses with PAYMENT_PROVIDER_ERROR, an unknown or unconfigured one is INVALID on `gateway`."""
    enabled = gateways.enabled_ids()
    if gateway_id is None:
        offered = [each for each in enabled if gateways.gateway_class(each).takes(currency)]
        if not offered:
            raise PaymentError("No payment gateway is configured for this shop; nothing was ordered.")
        return offered[0]
    if gateway_id not in enabled:
        raise PaymentError(f"There is no payment gateway {gateway_id!r} here.", code="INVALID", field=["gateway"])
    if not gateways.gateway_class(gateway_id).takes(currency):
        raise PaymentError(f"The {gateway_id} gateway does not take {currency}.", code="INVALID", field=["gateway"])
    return gateway_id


def payment_for_checkout(order: Order, *, gateway: str | None = None, data: dict | None = None) -> Payment:
    """The order's payment: the one already opened (a replayed checkout), or a first one."""
    earlier = list(order.payments.all())
    return earlier[0] if earlier else open_payment(order, gateway=gateway, data=data, earlier=earlier)


def open_payment(order: Order, *, gateway: str | None = None, data: dict | None = None,
                 earlier: list[Payment] | None = None) -> Payment:
    """A new payment through `gateway` (the shop's default if None) for an UNPAID order's total. Earlier attempts a
    customer could still pay are closed at their providers first; if one of them turns out paid (its event is on
    the way), no new one is opened, so an order is never charged twice. Call it after the order's transaction
    has committed. `data` is what the buyer's client sent for the gateway (a phone number)."""
    if order.status != OrderStatus.UNPAID:
        raise PaymentError(f"An order that is {order.status} takes no new payment.", code="INVALID_TRANSITION",
                           field=["id"])
    if data is not None and not isinstance(data, dict):
        raise PaymentError("`data` must be an object.", code="INVALID", field=["data"])
    gateway_id = choose_gateway(gateway, order.currency)
    earlier = list(order.payments.all()) if earlier is None else earlier
    request = _request(order, f"order-{order.pk}-payment-{len(earlier) + 1}", data or {})
    try:
        if not _close_open_intents(order, [payment for payment in earlier if payment.status in OPEN]):
            raise PaymentError("This order has just been paid; its confirmation is on the way.",
                               code="INVALID_TRANSITION", field=["id"])
        intent = get_gateway(gateway_id).open_payment(request)
    except ProviderError:
        raise PaymentError("The payment provider could not be reached; the order is kept, try paying again.") from None
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order=order, provider=gateway_id, intent_id=intent.id, client_secret=intent.client_secret,
                status=intent.status, amount=order.total, currency=order.currency, action_type=intent.action.type,
                action_url=intent.action.url, action_reference=intent.action.reference,
                action_data=intent.action.data, provider_data=intent.provider_data)
            if intent.poll:
                announce(payment_polling, payment_id=payment.pk, attempt=0)
    except IntegrityError:  # a concurrent request for the same attempt got the same intent (same idempotency key)
        payment = Payment.objects.get(provider=gateway_id, intent_id=intent.id)
    if intent.status == IntentStatus.SUCCEEDED:  # the demo gateway: paid on the spot
        settle(payment, status=IntentStatus.SUCCEEDED, received=intent.amount, currency=intent.currency)
        payment.refresh_from_db()
        order.refresh_from_db()  # the caller shows it: PAID now
    return payment


def _request(order: Order, idempotency_key: str, data: dict) -> PaymentRequest:
    address = order.shipping_address
    return PaymentRequest(
        amount=order.total, currency=order.currency.upper(), order_id=str(order.pk), order_number=order.number,
        idempotency_key=idempotency_key, email=order.email, data=data,
        phone=str(data.get("phone") or (address.phone if address else "")),
    )


def confirm_payment(order: Order, data: dict) -> Payment:
    """The buyer's client says the order's current payment is made, with its proof (`data`): the gateway checks
    the proof and reads the payment from the provider, and only what the provider says is applied."""
    payment = order.payments.first()
    if payment is None:
        raise PaymentError("This order has no payment to confirm.", code="INVALID_TRANSITION", field=["id"])
    if payment.status == IntentStatus.SUCCEEDED:
        return payment  # confirmed already (its event came first): nothing to do
    if order.status != OrderStatus.UNPAID:
        raise PaymentError(f"An order that is {order.status} takes no payment.", code="INVALID_TRANSITION",
                           field=["id"])
    if not isinstance(data, dict):
        raise PaymentError("`data` must be an object.", code="INVALID", field=["data"])
    try:
        state = get_gateway(payment.provider).confirm_payment(payment, data)
    except InvalidProof as error:
        raise PaymentError(f"The payment's proof does not hold: {error}", code="INVALID", field=["data"]) from None
    except ProviderError:
        raise PaymentError("The payment provider could not be reached; try confirming again.") from None
    apply_state(payment, state)
    payment.refresh_from_db()
    order.refresh_from_db()
    return payment


def apply_state(payment: Payment, state: PaymentState) -> None:
    """Take in the provider's own reading of a payment (a confirm, a poll, an event re-read)."""
    failed_now = state.status == IntentStatus.FAILED and payment.status != IntentStatus.FAILED
    settle(payment, status=state.status, currency=state.currency, refunded=state.refunded,
           received=state.received if state.status == IntentStatus.SUCCEEDED else None,
           failure=(state.failure or "The payment failed.") if failed_now else "", provider_data=state.provider_data)


def poll_payment(payment_id: int) -> bool:
    """Read a payment whose gateway asked to be polled (MTN MoMo) from its provider; True once its status is final
    (then polling stops). A provider that cannot be reached is asked again at the next poll."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status in FINAL:
        return True
    try:
        state = get_gateway(payment.provider).fetch_status(payment)
    except ProviderError:
        return False
    apply_state(payment, state)
    return state.status in FINAL


def mark_paid(order: Order, *, reference: str, actor) -> Order:
    """Staff say the money came outside any provider (cash on delivery, a bank transfer): the order's manual
    payment succeeds for its exact amount, through the same settle as every gateway's."""
    if not gateways.is_enabled("manual"):
        raise PaymentError("Manual payments are off here (MANUAL_PAYMENTS_ENABLED).", code="INVALID", field=["id"])
    if order.status != OrderStatus.UNPAID:
        raise PaymentError(f"An order that is {order.status} cannot be marked paid.", code="INVALID_TRANSITION",
                           field=["id"])
    payment = order.payments.filter(provider="manual", status__in=OPEN).first() or open_payment(order, gateway="manual")
    settle(payment, status=IntentStatus.SUCCEEDED, received=to_minor(payment.amount, payment.currency),
           currency=payment.currency.upper(), provider_data={"reference": reference})
    order = Order.objects.get(pk=order.pk)
    orders.record_event(order, OrderEventType.NOTE, actor=actor,
                        message=f"Marked paid by staff{f', reference {reference}' if reference else ''}.")
    return order


# --- Provider events


def receive_webhook(provider: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Verify and record a provider's event, and have a job apply it. False for a duplicate (nothing to do).

    Raises InvalidWebhook for a bad signature, and then nothing is recorded.
    """
    gateway = get_gateway(provider)
    event = gateway.parse_webhook(body, headers)
    if not event.id:
        event = replace(event, id=event_identity(gateway.id, event.type, event.intent_id, event.status or event.kind))
    try:
        with transaction.atomic():
            recorded = WebhookEvent.objects.create(provider=gateway.id, event_id=event.id, type=event.type,
                                                   payload=event.payload)
            announce(webhook_received, event_pk=recorded.pk)
    except IntegrityError:
        waiting = WebhookEvent.objects.filter(provider=gateway.id, event_id=event.id, processed_at__isnull=True)
        for pending in waiting:  # the provider resends what it thinks was lost: make sure a job is on it
            announce(webhook_received, event_pk=pending.pk)
        return False
    return True


def unprocessed_events() -> list[int]:
    """Recorded events no job has applied yet (a broker that was down, a job out of retries, a worker killed with
    the job in hand), for the sweeper; younger ones may still be on their way through the queue."""
    cutoff = timezone.now() - timedelta(seconds=settings.PAYMENT_EVENT_SWEEP_AGE_SECONDS)
    return list(WebhookEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff).values_list("pk", flat=True))


def process_event(event_pk: int) -> None:
    """Apply a recorded event once: safe to run twice, and a no-op for types we do not act on.

    An event that proves too little (`reread`) is applied as the provider answers when asked, and that call is
    made before any lock is taken; if it fails, the job fails and is retried."""
    recorded = WebhookEvent.objects.filter(pk=event_pk, processed_at__isnull=True).first()
    if recorded is None:
        return
    gateway = get_gateway(recorded.provider)
    event = gateway.read_event(recorded.payload)
    payment = _payment_for(recorded.provider, event.intent_id) if event.kind != EventKind.OTHER else None
    state = gateway.status_for_event(payment, event) if event.reread and payment is not None else None
    with transaction.atomic():
        recorded = WebhookEvent.objects.select_for_update().filter(pk=event_pk, processed_at__isnull=True).first()
        if recorded is None:
            return
        outcome = _apply(event, payment, state)
        recorded.processed_at, recorded.outcome = timezone.now(), outcome[:255]
        recorded.save(update_fields=["processed_at", "outcome"])


def _payment_for(provider: str, reference: str) -> Payment | None:
    """The payment an event is about, by the provider's id for it or the reference its client was given."""
    if not reference:
        return None
    return Payment.objects.filter(Q(intent_id=reference) | Q(action_reference=reference), provider=provider).first()


def _apply(event: ProviderEvent, payment: Payment | None, state: PaymentState | None) -> str:
    if event.kind == EventKind.OTHER:
        return "ignored: not a type we act on"
    if payment is None:
        return "ignored: no payment of ours"
    if state is not None:
        apply_state(payment, state)
        return f"applied as read from the provider: {state.status}"
    if event.reread or event.kind == EventKind.STATUS_CHANGED:
        return "ignored: needs the provider's word"
    if event.kind == EventKind.PAYMENT_SUCCEEDED:
        settle(payment, status=IntentStatus.SUCCEEDED, received=event.received, currency=event.currency)
    elif event.kind == EventKind.PAYMENT_FAILED:
        settle(payment, status=IntentStatus.FAILED, failure=event.failure or "The payment failed.")
    else:
        settle(payment, refunded=event.refunded, currency=event.currency)
    return "applied"


@transaction.atomic
def settle(payment: Payment, *, status: str | None = None, received: int | None = None, refunded: int | None = None,
           currency: str = "", failure: str = "", restock: bool | None = None,
           provider_data: dict | None = None) -> None:
    """Take in what the provider says of a payment, then bring the order in line with all its payments.

    Every write to the payment happens here, under the order's lock then the payment's, always in that order: a
    payment row written before the order is locked deadlocks with a webhook settling the same payment.

    `restock` says whether a full refund that cancels the order puts its stock back (REFUND_RESTOCKS if None).
    """
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    had_money = payment.amount_received > 0
    if provider_data:
        payment.provider_data = {**payment.provider_data, **provider_data}
    currency_matches = not currency or currency == payment.currency.upper()
    if not currency_matches:
        _flag(order, payment, f"Currency {currency} does not match the order's {payment.currency}; not applied.")
    if received is not None and currency_matches:
        amount = from_minor(received, payment.currency)
        if amount == payment.amount:
            payment.amount_received = max(payment.amount_received, amount)
        else:
            _flag(order, payment, f"Received {amount} for an order of {payment.amount}; not marked paid.")
    ours = payment.refunds.filter(succeeded=True).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    reported = from_minor(refunded, payment.currency) if refunded is not None and currency_matches else Decimal(0)
    payment.amount_refunded = max(payment.amount_refunded, reported, ours)
    if status and not (payment.status == IntentStatus.SUCCEEDED and status == IntentStatus.FAILED):
        payment.status = status
    if payment.amount_received > 0 and not had_money and not _may_pay(order, payment):
        payment.is_stray = True
        orders.record_event(order, OrderEventType.NOTE,
                            message=f"{payment.intent_id} was paid but the order cannot take it; refunding it.")
        announce(stray_payment, payment_id=payment.pk)
    payment.save()
    if failure:
        orders.record_event(order, OrderEventType.PAYMENT_FAILED, message=failure)
    if not payment.is_stray:
        _reconcile(order, payment, restock=settings.REFUND_RESTOCKS if restock is None else restock)


def _may_pay(order: Order, payment: Payment) -> bool:
    """Money arriving now pays the order only if it is still UNPAID and no other payment has paid it; anything
    else (a cancelled order, a second intent that succeeded too) is stray, kept out of the order's figures and
    refunded by a job. Decided once, under the order's lock, when the payment's money first arrives."""
    others_paid = order.payments.filter(amount_received__gt=0, is_stray=False).exclude(pk=payment.pk).exists()
    return order.status == OrderStatus.UNPAID and not others_paid


def _flag(order: Order, payment: Payment, why: str) -> None:
    payment.flagged = why[:255]
    orders.record_event(order, OrderEventType.NOTE, message=f"Payment {payment.intent_id}: {why}")


def _reconcile(order: Order, payment: Payment, *, restock: bool) -> None:
    """The order's status, payment status and refunded total, from its (non-stray) payments' figures."""
    received, refunded = _sum(order, "amount_received"), _sum(order, "amount_refunded")
    if order.status == OrderStatus.UNPAID and received >= order.total:
        order = orders.record_payment(order, message=f"Paid with {payment.intent_id}.")
    if received and refunded > order.refunded_total:
        order.refunded_total = refunded
        order.payment_status = PaymentStatus.REFUNDED if refunded >= received else PaymentStatus.PARTIALLY_REFUNDED
        order.save(update_fields=["refunded_total", "payment_status", "updated_at"])
        orders.record_event(order, OrderEventType.REFUNDED, message=f"{refunded} {order.currency} refunded in all.")
        if order.status == OrderStatus.PAID and refunded >= order.total:
            orders.transition(order, OrderStatus.CANCELLED, OrderEventType.CANCELLED, message="Refunded in full.",
                              restock=restock)


def _sum(order: Order, field: str) -> Decimal:
    return order.payments.filter(is_stray=False).aggregate(total=Sum(field))["total"] or Decimal(0)


# --- Refunds, cancellation, expiry


def refund(order: Order, *, amount: Decimal | None, actor, restock: bool | None = None) -> Order:
    """Refund part or all of what an order was paid (the rest by default), through the provider's refund API.

    The Refund row is committed first and its pk is the provider's idempotency key. If the provider's answer
    is lost (a timeout), the row stays pending and the next refund of the order retries it with the same key
    before anything else, so money is never refunded twice; the provider's later `charge.refunded` event and
    our own count agree, since the payment's refunded figure is the largest of the two.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        pending = pending_refund(order)
        retry = pending is not None
        if pending is None:
            pending = open_refund(order, amount=amount, actor=actor)
    pay_back(pending, retry=retry, actor=actor, restock=restock)
    return Order.objects.get(pk=order.pk)


def refundable(order: Order) -> tuple[Payment, Decimal]:
    """The payment that took the order's money, and how much of it is left to refund (INVALID_TRANSITION if none)."""
    payment = order.payments.filter(amount_received__gt=0, is_stray=False).first()
    if order.status not in MONEY_RECEIVED or payment is None:
        raise PaymentError("This order has no payment to refund.", code="INVALID_TRANSITION", field=["id"])
    asked = payment.refunds.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return payment, payment.amount_received - max(payment.amount_refunded, asked)


def pending_refund(order: Order) -> Refund | None:
    """A refund of the order whose provider's answer was lost: it is retried before any other."""
    return Refund.objects.filter(payment__order=order, payment__is_stray=False, succeeded=False).first()


def open_refund(order: Order, *, amount: Decimal | None, actor) -> Refund:
    """Record a refund of `amount` (what is left if None) under the order's lock, before asking the provider."""
    payment, remaining = refundable(order)
    amount = remaining if amount is None else amount
    if not Decimal(0) < amount <= remaining:
        raise PaymentError(f"The amount must be more than 0 and at most {remaining}.", code="INVALID",
                           field=["amount"])
    return Refund.objects.create(payment=payment, amount=amount, actor=actor)


def pay_back(pending: Refund, *, retry: bool, actor, restock: bool | None = None) -> Refund:
    """Refund a recorded refund at its provider (outside any lock), then bring the order in line."""
    payment = pending.payment
    _refund_at_provider(pending, f"refund-{pending.pk}", retry=retry)
    audit.record(audit.REFUND, payment.order, {"refund": [None, f"{pending.amount} {payment.currency}"]}, actor=actor)
    settle(payment, restock=restock)
    pending.refresh_from_db()
    return pending


def _refund_at_provider(pending: Refund, key: str, *, retry: bool) -> None:
    """Refund at the provider with `key`. A `retry` (the last answer was lost) first asks the gateway whether the
    refund was made after all, for providers whose refunds take no idempotency key."""
    payment = pending.payment
    gateway, amount = get_gateway(payment.provider), to_minor(pending.amount, payment.currency)
    try:
        refund_id = (retry and gateway.find_refund(payment, amount=amount, idempotency_key=key)) or gateway.refund(
            payment, amount=amount, idempotency_key=key)
    except ProviderError as error:
        if error.definite:
            pending.delete()
            raise PaymentError("The payment provider refused the refund; nothing was refunded.") from None
        raise PaymentError("The payment provider did not answer; the refund will be retried as it is.") from None
    Refund.objects.filter(pk=pending.pk).update(refund_id=refund_id, succeeded=True)
    if refund_id.startswith(MANUAL_REFUND_PREFIX):
        orders.record_event(payment.order, OrderEventType.NOTE, message=f"Refund of {pending.amount} "
                            f"{payment.currency} recorded: {gateway.name} cannot pay it back, so pay it out by hand.")


def refund_stray(payment_id: int) -> None:
    """Give back what a stray payment received and is not yet refunded; safe to run twice (one key per payment)."""
    payment = Payment.objects.filter(pk=payment_id, is_stray=True).select_related("order").first()
    if payment is None or payment.amount_received <= payment.amount_refunded and not payment.refunds.exists():
        return
    pending, created = Refund.objects.get_or_create(
        payment=payment, actor=None, defaults={"amount": payment.amount_received - payment.amount_refunded})
    if pending.succeeded:
        return
    _refund_at_provider(pending, f"stray-{payment.pk}", retry=not created)
    settle(payment)
    orders.record_event(payment.order, OrderEventType.NOTE,
                        message=f"Refunded {pending.amount} {payment.currency} of {payment.intent_id}.")


def cancel_order(order: Order, *, actor, as_staff: bool) -> Order:
    """Cancel, from the API, the admin or anywhere: the one way an order is cancelled.

    Who may cancel what is the order's rule (orders.mark_cancelled). An UNPAID order's open intents are cancelled
    at the provider first, so it cannot be paid after (one found paid keeps the order); a PAID order (staff only)
    is refunded in full, then cancelled, and its stock always comes back, whatever REFUND_RESTOCKS says of
    refunds alone. The decision is taken on `order` as the caller read it; the move is checked again under the
    order's lock, so a payment that landed meanwhile wins.
    """
    if order.status == OrderStatus.UNPAID:
        try:
            if not _close_open_intents(order):
                raise PaymentError("This order has just been paid; it can no longer be cancelled as unpaid.",
                                   code="INVALID_TRANSITION", field=["id"])
        except ProviderError:
            raise PaymentError("The payment provider could not be reached; the order was not cancelled.") from None
        return orders.mark_cancelled(order, actor=actor, as_staff=as_staff, only_from={OrderStatus.UNPAID})
    if as_staff and order.status == OrderStatus.PAID and order.total > order.refunded_total:
        order = refund(order, amount=None, actor=actor, restock=True)
        if order.status == OrderStatus.CANCELLED:  # the full refund cancelled it
            return order
    return orders.mark_cancelled(order, actor=actor, as_staff=as_staff)


def expire_unpaid(order_id: int) -> bool:
    """Expire an order left unpaid past ORDER_UNPAID_LIFETIME, releasing its stock: the one way an order expires.

    Its open intents are cancelled at the provider first; an intent that is not plainly cancelled afterwards
    (paid, or still processing), or a provider that cannot be reached, leaves the order for the next run: the
    money may be on its way. A no-op for any other order (paid since, already expired), so the job may run
    twice. True when it expired the order now.
    """
    order = orders.unpaid_past_lifetime().filter(pk=order_id).first()
    if order is None or _awaits_manual_payment(order):
        return False
    try:
        closed = _close_open_intents(order)
    except ProviderError:
        return False
    return closed and orders.mark_expired(order)


def _awaits_manual_payment(order: Order) -> bool:
    """An order to be paid by hand (cash on delivery, a bank transfer) waits MANUAL_PAYMENT_EXPIRY_HOURS (0: for
    ever), not the card payments' ORDER_UNPAID_LIFETIME."""
    current = order.payments.first()
    if current is None or current.provider != "manual" or current.status not in OPEN:
        return False
    hours = settings.MANUAL_PAYMENT_EXPIRY_HOURS
    return not hours or current.created_at > timezone.now() - timedelta(hours=hours)


def _close_open_intents(order: Order, payments: list[Payment] | None = None) -> bool:
    """Cancel every intent of the order a customer could still pay, each at its provider; True only if each is
    now CANCELED."""
    closed = True
    for payment in order.payments.filter(status__in=OPEN) if payments is None else payments:
        status = get_gateway(payment.provider).cancel_payment(payment)
        Payment.objects.filter(pk=payment.pk).update(status=status)
        closed = closed and status == IntentStatus.CANCELED
    return closed
