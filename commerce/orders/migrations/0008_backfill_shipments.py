"""Orders fulfilled before shipments existed get the one shipment they were: every unit, with the carrier's
details saved on the order, shipped when their FULFILLED event says (delivered when their DELIVERED event says)."""
from django.db import migrations


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    Shipment = apps.get_model("orders", "Shipment")
    ShipmentLine = apps.get_model("orders", "ShipmentLine")
    shipped = Order.objects.filter(status__in=["FULFILLED", "DELIVERED"], shipments__isnull=True)
    for order in shipped.iterator(chunk_size=500):
        times = dict(OrderEvent.objects.filter(order=order, type__in=["FULFILLED", "DELIVERED"])
                     .values_list("type", "created_at"))
        shipped_at = times.get("FULFILLED") or order.updated_at
        delivered_at = times.get("DELIVERED") or order.updated_at if order.status == "DELIVERED" else None
        shipment = Shipment.objects.create(
            order=order, carrier=order.carrier, tracking_number=order.tracking_number, tracking_url=order.tracking_url,
            status="DELIVERED" if delivered_at else "SHIPPED", shipped_at=shipped_at,
            delivered_at=delivered_at, status_changed_at=delivered_at or shipped_at)
        ShipmentLine.objects.bulk_create(ShipmentLine(shipment=shipment, order_line_id=pk, quantity=quantity)
                                         for pk, quantity in order.lines.values_list("pk", "quantity"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_shipments_and_returns")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
