"""The audit log: each kind of staff change (a price, stock, an order's state, a refund, a voucher, a sale, an
attribute, a staff flag) writes one entry naming who did it and what changed, whether it came from the API, the
admin or a job; staff read it in the admin, where nobody can add, edit or delete an entry; deleting an account
redacts the email entries hold and keeps the entries."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.forms import MultiWidget
from django.urls import reverse
from django.utils import timezone
from strawberry import relay

from commerce.accounts.deletion import erase_account
from commerce.accounts.models import User
from commerce.audit.models import AuditEntry
from commerce.orders import checkout
from tests.catalog.test_attributes import CREATE as ATTRIBUTE_CREATE
from tests.catalog.test_sales import CREATE as SALE_CREATE
from tests.catalog.test_staff_catalog import STOCK_SET, VARIANT_UPDATE, gid, run
from tests.orders.conftest import CANCEL, FULFILL

REFUND = """mutation ($id: ID!, $amount: Decimal) { orderRefund(id: $id, amount: $amount) {
  order { paymentStatus } errors { field code } } }"""


@pytest.fixture
def paid_order(store, ready_cart, pay):
    return pay(checkout.complete(ready_cart((store.shirt, 2))))


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("pk"))


def the_entry(**filters) -> AuditEntry:
    (entry,) = entries(**filters)
    return entry


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(response) -> dict:
    """What the browser would post back from an admin change page, as it was rendered: every form and inline."""
    data, forms = {}, [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value, key = form[name].value(), form.add_prefix(name)
            if value is None or field.disabled:
                continue
            if isinstance(field.widget, MultiWidget) and hasattr(value, "date"):  # a split date and time
                local = timezone.localtime(value)
                data[f"{key}_0"], data[f"{key}_1"] = local.date().isoformat(), local.time().strftime("%H:%M:%S")
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
    return data


def save_in_admin(admin_client, obj, **changes):
    url = change_url(obj)
    data = {**form_data(admin_client.get(url)), **changes}
    for key in [key for key, value in changes.items() if value is None]:
        data.pop(key)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and [
        response.context["adminform"].form.errors, *[i.formset.errors for i in response.context["inline_admin_formsets"]]]


# The API


def test_a_price_changed_over_the_api_names_the_staff_user_and_the_request(staff_gql, staff_user, store):
    assert run(staff_gql, VARIANT_UPDATE, id=gid(store.mug), input={"price": "13.00", "name": "Big"})["errors"] == []
    entry = the_entry(object_type="catalog.productvariant")
    assert (entry.actor, entry.actor_email, entry.action, entry.source) == (staff_user, "staff@example.com", "update", "api")
    assert entry.object_id == str(store.mug.pk) and entry.request_id
    assert entry.changes == {"price": ["12.50", "13.00"], "name": ["Size 0", "Big"]}


def test_stock_set_over_the_api_is_one_entry_and_setting_the_same_count_is_none(staff_gql, staff_user, store):
    run(staff_gql, STOCK_SET, id=gid(store.mug), quantity=40)
    run(staff_gql, STOCK_SET, id=gid(store.mug), quantity=40)
    entry = the_entry(object_type="catalog.productvariant")
    assert entry.actor == staff_user and entry.changes == {"stock": [100, 40]}


def test_an_order_fulfilled_and_one_cancelled_by_staff(staff_gql, staff_user, paid_order, store, ready_cart):
    staff_gql(FULFILL, {"id": relay.to_base64("Order", paid_order.pk)}).ok()
    fulfilled = the_entry(object_id=str(paid_order.pk), action="transition", actor=staff_user)
    assert fulfilled.changes == {"status": ["PAID", "FULFILLED"], "carrier": ["", "DHL"],
                                 "tracking_number": ["", "JD0001"],
                                 "tracking_url": ["", "https://track.example/JD0001"]}
    unpaid = checkout.complete(ready_cart((store.mug, 1)))
    staff_gql(CANCEL, {"id": relay.to_base64("Order", unpaid.pk)}).ok()
    cancelled = the_entry(object_id=str(unpaid.pk), action="transition")
    assert cancelled.actor == staff_user and cancelled.changes == {"status": ["UNPAID", "CANCELLED"]}
    assert cancelled.object_repr == f"order #{unpaid.number}"


def test_a_payment_from_the_provider_is_the_systems_change(paid_order):
    entry = the_entry(object_id=str(paid_order.pk), action="transition")
    assert entry.actor is None and entry.actor_email == "" and entry.changes["status"] == ["UNPAID", "PAID"]


def test_a_refund_names_who_refunded_what(staff_gql, staff_user, paid_order):
    staff_gql(REFUND, {"id": relay.to_base64("Order", paid_order.pk), "amount": "10.00"}).ok()
    entry = the_entry(action="refund")
    assert entry.actor == staff_user and entry.object_id == str(paid_order.pk)
    assert entry.changes == {"refund": [None, f"10.00 {paid_order.currency}"]}


def test_a_sale_created_over_the_api(staff_gql, staff_user, store):
    payload = staff_gql(SALE_CREATE, {"input": {"name": "Summer", "percentOff": "20",
                                                "productIds": [gid(store.mug.product)]}}).ok()["saleCreate"]
    assert payload["errors"] == []
    entry = the_entry(object_type="catalog.sale")
    assert (entry.actor, entry.action, entry.object_repr) == (staff_user, "create", "Summer")
    assert entry.changes["percent_off"] == [None, "20"] and entry.changes["products"] == [None, ["Ceramic Mug"]]


def test_an_attribute_created_over_the_api(staff_gql, staff_user):
    run(staff_gql, ATTRIBUTE_CREATE, input={"name": "Shoe size", "type": "CHOICE", "values": ["38", "39"]})
    entry = the_entry(object_type="catalog.productattribute")
    assert entry.actor == staff_user and entry.action == "create"
    assert entry.changes == {"name": [None, "Shoe size"], "slug": [None, "shoe-size"], "type": [None, "CHOICE"],
                             "filterable": [None, False], "values": [None, ["38", "39"]]}


def test_a_job_records_no_user_and_its_name(store, ready_cart, settings):
    from tasks.orders import expire_unpaid_order

    settings.ORDER_UNPAID_LIFETIME = timedelta(0)
    order = checkout.complete(ready_cart((store.mug, 1)))
    expire_unpaid_order(order.pk)
    entry = the_entry(object_id=str(order.pk), action="transition")
    assert (entry.actor, entry.source, entry.changes) == (None, "job:expire_unpaid_order",
                                                          {"status": ["UNPAID", "CANCELLED"]})


# The admin


def test_a_price_changed_on_the_variants_admin_page(admin_client, staff_user, store):
    save_in_admin(admin_client, store.mug, price="11.00")
    entry = the_entry(object_type="catalog.productvariant")
    assert (entry.actor, entry.source, entry.action) == (staff_user, "admin", "update") and entry.request_id
    assert entry.changes == {"price": ["12.50", "11.00"]}


def test_stock_changed_on_the_products_admin_page(admin_client, staff_user, store):
    product = store.shirt.product
    save_in_admin(admin_client, product, **{"variants-0-stock": "2"})
    entry = the_entry(object_type="catalog.productvariant")
    assert entry.actor == staff_user and entry.changes == {"stock": [5, 2]}


def test_a_voucher_changed_in_the_admin(admin_client, staff_user, store):
    save_in_admin(admin_client, store.fiver, value="7.50", is_active=None)
    entry = the_entry(object_type="carts.voucher")
    assert (entry.actor, entry.action, entry.object_repr) == (staff_user, "update", "FIVER")
    assert entry.changes == {"value": ["5.00", "7.50"], "is_active": [True, False]}


def test_a_staff_flag_and_a_group_given_in_the_admin(admin_client, staff_user, customer):
    support = Group.objects.create(name="Support")
    save_in_admin(admin_client, customer, is_staff="on", groups=[str(support.pk)])
    entry = the_entry(object_type="accounts.user")
    assert (entry.actor, entry.object_repr) == (staff_user, "customer@example.com")
    assert entry.changes == {"is_staff": [False, True], "groups": [[], ["Support"]]}
    save_in_admin(admin_client, customer, first_name="Cora")  # personal data: not what the log is for
    assert len(entries(object_type="accounts.user")) == 1


def test_entries_are_read_only_in_the_admin_for_a_superuser_too(admin_client, staff_gql, store):
    run(staff_gql, STOCK_SET, id=gid(store.mug), quantity=3)
    entry = the_entry(object_type="catalog.productvariant")
    changelist = reverse("admin:audit_auditentry_changelist")
    page = admin_client.get(changelist, {"q": "staff@example.com", "action": "update"})
    assert page.status_code == 200 and list(page.context["cl"].result_list) == [entry]
    assert admin_client.get(changelist, {"q": "nobody@example.com"}).context["cl"].result_count == 0
    today = timezone.localdate()
    by_day = admin_client.get(changelist, {"created_at__year": today.year, "created_at__month": today.month,
                                           "created_at__day": today.day, "action": "update"})
    assert list(by_day.context["cl"].result_list) == [entry]
    assert admin_client.get(changelist, {"created_at__year": today.year - 1}).context["cl"].result_count == 0
    assert "delete_selected" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert admin_client.get(change_url(entry)).status_code == 200  # viewed
    assert admin_client.post(change_url(entry), {"action": "delete"}).status_code == 403
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).changes == {"stock": [100, 3]}


# Account deletion


def test_deleting_an_account_redacts_its_email_and_keeps_the_entries(admin_client, staff_gql, staff_user, customer,
                                                                    store):
    run(staff_gql, STOCK_SET, id=gid(store.mug), quantity=3)
    save_in_admin(admin_client, customer, is_staff="on")
    erase_account(customer)
    about = the_entry(object_type="accounts.user")
    assert about.object_repr == f"deleted-{customer.pk}@invalid" and "customer@example.com" not in str(about.changes)
    erase_account(User.objects.get(pk=staff_user.pk))
    kept = entries(object_type__in=["catalog.productvariant", "accounts.user"])
    assert len(kept) == 2 and {entry.actor_id for entry in kept} == {staff_user.pk}
    assert {entry.actor_email for entry in kept} == {f"deleted-{staff_user.pk}@invalid"}
    assert the_entry(object_type="catalog.productvariant").changes == {"stock": [100, 3]}
    assert not AuditEntry.objects.filter(object_repr__icontains="@example.com").exists()


def test_an_attribute_added_in_the_admin_with_its_values(admin_client, staff_user):
    response = admin_client.post(reverse("admin:catalog_productattribute_add"), {
        "name": "Material", "slug": "material", "type": "CHOICE",
        "values-TOTAL_FORMS": "1", "values-INITIAL_FORMS": "0", "values-MIN_NUM_FORMS": "0",
        "values-MAX_NUM_FORMS": "1000", "values-0-name": "Oak", "values-0-slug": "oak", "values-0-position": "0"})
    assert response.status_code == 302
    entry = the_entry(object_type="catalog.productattribute", object_repr="Material")
    assert (entry.actor, entry.action) == (staff_user, "create")
    assert entry.changes["values"] == [None, ["Oak"]] and entry.changes["type"] == [None, "CHOICE"]
