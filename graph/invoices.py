"""The invoices part of the contract: Invoice (on Order.invoices, and by `node(id)` for the orders the caller may
see by ID) and staff's invoiceRequest. `url` is a signed link that expires (INVOICE_LINK_LIFETIME), made afresh
each time it is read, to the view that streams the PDF; the storage's own address is never shown."""
from datetime import datetime
from enum import Enum

import strawberry
import strawberry_django
from strawberry.types import Info

from commerce.invoices import models, services
from commerce.invoices.selectors import visible_invoices
from commerce.orders import selectors as orders
from graph.core.context import viewer
from graph.core.ids import decode_id
from graph.core.payloads import staff_write
from graph.core.types import GuardedNode, ModelField
from graph.orders import Order, OrderPayload

InvoiceKind = strawberry.enum(Enum("InvoiceKind", {k: k for k in models.InvoiceKind.values}))


@strawberry_django.type(models.Invoice, name="Invoice", field_cls=ModelField)
class Invoice(GuardedNode):
    number: str
    kind: InvoiceKind
    created_at: datetime

    @strawberry_django.field(only=["id", "file"], description="The PDF, by a signed link that expires; null until "
                                                              "the PDF is made.")
    def url(self, info: Info) -> str | None:
        path = services.signed_path(self)
        return info.context.absolute_url(path) if path else None

    @classmethod
    def visible(cls, info: Info):
        return visible_invoices(viewer(info))


@strawberry.type
class InvoiceMutation:
    @strawberry.mutation(description="Staff. Issues the order's invoice (numbered now; a job makes the PDF and mails "
                                     "it), or gives back the one it has.")
    def invoice_request(self, info: Info, order_id: strawberry.ID) -> OrderPayload:
        return staff_write(info, OrderPayload, "order", lambda: services.request_invoice(
            orders.order_for_update(viewer(info), decode_id(order_id, Order, argument="orderId")), actor=viewer(info)))
