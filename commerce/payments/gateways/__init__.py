"""The gateway registry: one module per payment provider, behind the interface in base.py.

GATEWAYS lists every gateway by id, in the order a shop that sets no PAYMENT_GATEWAYS offers the configured ones
(the first is the default). Modules are imported when first asked for, and a module not written yet counts as a
gateway not configured, unless PAYMENT_GATEWAYS names it. Services ask here, never a module directly.
"""
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from commerce.payments.gateways.base import PaymentGateway

logger = logging.getLogger(__name__)

GATEWAYS = {
    "stripe": "commerce.payments.gateways.stripe.StripeGateway",
    "paypal": "commerce.payments.gateways.paypal.PayPalGateway",
    "razorpay": "commerce.payments.gateways.razorpay.RazorpayGateway",
    "paystack": "commerce.payments.gateways.paystack.PaystackGateway",
    "flutterwave": "commerce.payments.gateways.flutterwave.FlutterwaveGateway",
    "mtn-momo": "commerce.payments.gateways.mtn_momo.MtnMomoGateway",
    "manual": "commerce.payments.gateways.manual.ManualGateway",
    "demo": "commerce.payments.gateways.demo.DemoGateway",
}
LEGACY_IDS = {"dummy": "demo"}  # payments stored before the registry had ids


def gateway_class(gateway_id: str, *, required: bool = True) -> type[PaymentGateway] | None:
    """The class of `gateway_id`; None for a module not written yet when not `required`."""
    gateway_id = LEGACY_IDS.get(gateway_id, gateway_id)
    if gateway_id not in GATEWAYS:
        raise ImproperlyConfigured(f"There is no payment gateway named {gateway_id!r}.")
    path = GATEWAYS[gateway_id]
    try:
        return import_string(path)
    except ImportError as error:
        if required or getattr(error, "name", None) != path.rsplit(".", 1)[0]:
            raise
        return None


def get_gateway(gateway_id: str) -> PaymentGateway:
    """The gateway called `gateway_id` (the one that took a payment: its cancels and refunds go back there)."""
    return gateway_class(gateway_id)()


def _listed() -> list[str]:
    return [each.strip() for each in settings.PAYMENT_GATEWAYS.split(",") if each.strip()]


def real_gateway_configured() -> bool:
    """A provider that takes money is configured (manual and demo are not that)."""
    return any(
        (cls := gateway_class(each, required=False)) is not None and cls.is_configured()
        for each in GATEWAYS if each not in {"manual", "demo"}
    )


def enabled_ids() -> list[str]:
    """The gateways a buyer may choose, in the shop's order: PAYMENT_GATEWAYS' configured ones, or every configured
    one in GATEWAYS' order. The first is the default."""
    listed = _listed()
    ids = listed or list(GATEWAYS)
    return [each for each in ids if (cls := gateway_class(each, required=bool(listed))) and cls.is_configured()]


def is_enabled(gateway_id: str) -> bool:
    return gateway_id in GATEWAYS and gateway_id in enabled_ids()


def configuration_problems() -> list[str]:
    """What stops a shop with DEBUG off from starting: a gateway with some of its keys but not all, a
    PAYMENT_GATEWAYS entry that is unknown or not configured."""
    problems = []
    for each in _listed():
        if each not in GATEWAYS:
            problems.append(f"PAYMENT_GATEWAYS names {each!r}, which is not a gateway ({', '.join(GATEWAYS)}).")
        elif missing := gateway_class(each).missing_settings():
            problems.append(f"PAYMENT_GATEWAYS names {each!r}, which needs {', '.join(missing)}.")
    for each in GATEWAYS:
        cls = gateway_class(each, required=False)
        if cls is not None and cls.is_partly_configured() and each not in _listed():
            problems.append(f"The {cls.name} gateway is configured in part: set {', '.join(cls.missing_settings())}.")
    return problems


def check_at_start_up() -> None:
    """Refuse to start with DEBUG off and a gateway's keys incomplete; shout when the demo gateway takes orders."""
    if not settings.DEBUG and (problems := configuration_problems()):
        raise ImproperlyConfigured("Payment gateways: " + " ".join(problems))
    if settings.PAYMENTS_DEMO:
        logger.warning("!!! PAYMENTS_DEMO is on: the demo gateway marks every order PAID without taking any money. "
                       "Never run a real shop like this. !!!")
