"""What an invoice or a credit note says, fixed when it is issued (Invoice.data): plain strings and lists, so the
PDF is drawn from it alone and the same document renders the same way every time.

Tax: prices are tax-exclusive and an order is taxed at one rate, its destination country's (settings.TAX_RATES),
on the discounted subtotal plus shipping (commerce.carts.pricing). The rate is not stored on the order or its lines,
so it is derived here from what the order stored: the country's configured rate when it reproduces the order's tax
to the cent, otherwise the effective rate (tax / taxable amount), marked as such. Either way the breakdown has one
row, since every line and the shipping were taxed alike.
"""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from commerce.carts.pricing import tax_rate
from commerce.money import round_money
from commerce.orders.models import Order
from commerce.payments.gateways import gateway_class


def seller() -> dict:
    return {"name": settings.INVOICE_SELLER_NAME, "tax_id": settings.INVOICE_SELLER_TAX_ID,
            "email": settings.INVOICE_SELLER_EMAIL,
            "address": [part.strip() for part in settings.INVOICE_SELLER_ADDRESS.split(",") if part.strip()]}


def buyer(order: Order) -> dict:
    address = order.billing_address or order.shipping_address
    if address is None:
        return {"name": "", "address": [], "email": order.email}
    return {"name": f"{address.first_name} {address.last_name}".strip(), "email": order.email,
            "address": [line for line in (address.line1, address.line2, f"{address.postal_code} {address.city}".strip(),
                                          address.country_code) if line]}


def tax_rate_of(order: Order) -> tuple[Decimal, bool]:
    """(rate, derived): the rate the order was taxed at, and whether it had to be derived from its figures."""
    taxable = order.subtotal - order.discount + order.shipping
    if not order.tax or not taxable:
        return Decimal(0), False
    country = order.shipping_address.country_code if order.shipping_address else None
    configured = tax_rate(country)
    if round_money(taxable * configured, order.currency) == order.tax:
        return configured, False
    return (order.tax / taxable).quantize(Decimal("0.0001")), True


def _rate_label(rate: Decimal, derived: bool) -> str:
    percent = f"{(rate * 100).normalize():f}%"
    return f"{percent} (effective)" if derived else percent


def payment(order: Order) -> dict:
    """The gateway that took the money and the order's payment status."""
    paid = order.payments.filter(amount_received__gt=0, is_stray=False).first()
    if paid is None:
        return {"gateway": "", "reference": "", "status": order.payment_status}
    try:
        gateway = gateway_class(paid.provider, required=False)
    except ImproperlyConfigured:  # a gateway since removed from the registry: its id is still the truth
        gateway = None
    return {"gateway": gateway.name if gateway else paid.provider, "reference": paid.intent_id,
            "status": order.payment_status}


def invoice(order: Order) -> dict:
    rate, derived = tax_rate_of(order)
    lines = [{"description": " ".join(filter(None, [line.product_name, line.variant_name])), "sku": line.sku,
              "quantity": line.quantity, "unit_price": str(line.unit_price), "total": str(line.total)}
             for line in order.lines.all()]
    return {
        "seller": seller(), "buyer": buyer(order), "order_number": order.number,
        "order_date": order.created_at.date().isoformat(), "currency": order.currency, "lines": lines,
        "subtotal": str(order.subtotal), "discount": str(order.discount),
        "shipping": str(order.shipping), "shipping_method": order.shipping_method_name,
        "taxes": [{"rate": _rate_label(rate, derived),
                   "base": str(order.subtotal - order.discount + order.shipping), "tax": str(order.tax)}],
        "tax": str(order.tax), "total": str(order.total), "payment": payment(order),
    }


def credit_note(order: Order, amount: Decimal, refers_to: str) -> dict:
    """A refund of `amount` (tax included), as negative figures. A refund names an amount, not lines (a return's
    lines are the return's own record), so it is one line, and its tax is the order's share of tax in its total:
    the same rate, as goods and shipping were taxed alike."""
    rate, derived = tax_rate_of(order)
    tax = round_money(amount * order.tax / order.total, order.currency) if order.total else Decimal(0)
    net = amount - tax
    description = f"Refund for order #{order.number}" + (f" (invoice {refers_to})" if refers_to else "")
    return {
        "seller": seller(), "buyer": buyer(order), "order_number": order.number,
        "order_date": order.created_at.date().isoformat(), "currency": order.currency, "refers_to": refers_to,
        "lines": [{"description": description, "sku": "", "quantity": 1, "unit_price": str(-net),
                   "total": str(-net)}],
        "subtotal": str(-net), "discount": "0", "shipping": "0", "shipping_method": "",
        "taxes": [{"rate": _rate_label(rate, derived), "base": str(-net), "tax": str(-tax)}],
        "tax": str(-tax), "total": str(-amount), "payment": payment(order),
    }
