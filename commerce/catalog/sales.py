"""Sales: staff's writes, and the minute job that applies the starts and ends that come with time.

A write reprices at once every product the sale reached before it or reaches after it; the job reprices the
products of the sales whose running state changed since it last looked (`Sale.applied`), so a sale that starts or
ends on its own changes prices, the price sort and the price filter within the minute, and a job that missed
minutes catches up. Every write takes the category tree's lock first (a product moving into a category on sale
reprices against the sales as they are), then the sale, then the products it reprices (commerce.catalog.pricing).

An amount off may not exceed the regular price of any variant the sale reaches (named, or in its categories) when
the amount or what it reaches is written: staff meant a cut, not a free item. A variant that later comes under the
sale with a lower price (a new product in the category, a price cut) is priced at zero at worst, never below, and
does not stop the sale being renamed or rescheduled.
"""
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from commerce import audit
from commerce.errors import DomainError, DomainErrors, NotFound
from commerce.validation import check_fields

from . import pricing
from .models import Category, Product, ProductVariant, Sale
from .services import CatalogError, lock_tree

FIELDS = ("name", "percent_off", "amount_off", "starts_at", "ends_at")


@transaction.atomic
def create_sale(*, name: str, percent_off: Decimal | None = None, amount_off: Decimal | None = None,
                product_ids: list[int] | None = None, category_ids: list[int] | None = None,
                starts_at: datetime | None = None, ends_at: datetime | None = None) -> Sale:
    lock_tree()
    changes = {"name": name, "percent_off": percent_off, "amount_off": amount_off, "starts_at": starts_at,
               "ends_at": ends_at, "product_ids": product_ids or [], "category_ids": category_ids or []}
    return _write(Sale(), changes, before=Product.objects.none())


@transaction.atomic
def update_sale(sale_id: int, changes: dict) -> Sale:
    """Only the fields in `changes` change. Giving percent_off switches an amount-off sale to a percentage (and the
    other way round); lists given replace the sale's products or categories."""
    lock_tree()
    sale = _locked(sale_id)
    changes = dict(changes)
    if changes.get("percent_off") is not None and "amount_off" not in changes:
        changes["amount_off"] = None
    if changes.get("amount_off") is not None and "percent_off" not in changes:
        changes["percent_off"] = None
    return _write(sale, changes, before=_reach(sale))


@transaction.atomic
def delete_sale(sale_id: int) -> Sale:
    """Delete the sale and put its products back at the prices left without it. The returned copy keeps its id."""
    lock_tree()
    sale = _locked(sale_id)
    affected = _reach(sale)
    audit.record(audit.DELETE, sale, {name: [value, None] for name, value in _audited(sale).items()})
    sale.delete()
    sale.pk = sale_id
    _reprice(affected)
    return sale


def apply_scheduled_sales(now: datetime | None = None) -> int:
    """Reprice the products of every sale that started or ended since the stored prices were last computed; how
    many sales changed. Safe to run at any time and twice: a sale whose state is already applied is left alone."""
    now = now or timezone.now()
    running = Sale.active_at(now)
    due = Sale.objects.filter((Q(applied=False) & running) | (Q(applied=True) & ~running))
    if not due.exists():  # the usual minute: one indexed read, no lock
        return 0
    with transaction.atomic():
        lock_tree()
        due_ids = list(due.select_for_update().order_by("pk").values_list("pk", flat=True))
        sales = Sale.objects.filter(pk__in=due_ids)
        _reprice(pricing.covered_by(sales), now)
        sales.update(applied=Case(When(running, then=Value(True)), default=Value(False), output_field=BooleanField()))
    return len(due_ids)


def _locked(sale_id: int) -> Sale:
    sale = Sale.objects.select_for_update().filter(pk=sale_id).first()
    if sale is None:
        raise NotFound("No such sale.", field=["id"])
    return sale


def _reach(sale: Sale) -> QuerySet[Product]:
    """What the sale reaches as it is stored now, kept as plain id lists (a sale names a handful of products and
    categories), so the set stays what it was after the sale's own lists change."""
    return pricing.reached(list(sale.products.values_list("pk", flat=True)),
                           list(sale.categories.values_list("pk", flat=True)))


def _reprice(products: QuerySet[Product], now: datetime | None = None) -> None:
    pricing.reprice(pricing.lock_products(products), now)


def _audited(sale: Sale) -> dict:
    return audit.snapshot(sale, (*FIELDS, "products", "categories"))


def _write(sale: Sale, changes: dict, *, before: QuerySet[Product]) -> Sale:
    created, audited_before = sale.pk is None, _audited(sale)
    reach_or_amount_changes = sale.pk is None or {"amount_off", "product_ids", "category_ids"} & set(changes)
    product_ids, category_ids = changes.pop("product_ids", None), changes.pop("category_ids", None)
    for name, value in changes.items():
        setattr(sale, name, value.strip() if isinstance(value, str) else value)
    problems = []
    try:
        check_fields(sale, [name for name in changes if name in FIELDS], path=["input"])
    except DomainError as invalid:
        problems.extend(invalid.errors)
    problems.extend(_rule_problems(sale))
    products = _existing(Product, product_ids, "productIds", problems)
    categories = _existing(Category, category_ids, "categoryIds", problems)
    if problems:
        raise DomainErrors(problems)
    if product_ids is None:
        product_ids = list(sale.products.values_list("pk", flat=True)) if sale.pk else []
    if category_ids is None:
        category_ids = list(sale.categories.values_list("pk", flat=True)) if sale.pk else []
    after = pricing.reached(product_ids, category_ids)
    if sale.amount_off is not None and reach_or_amount_changes:  # a rename is not refused for a later price cut
        refuse_amount_over_a_price(sale.amount_off, after)

    now = timezone.now()
    sale.applied = sale.is_active_at(now)
    sale.save()
    if products is not None:
        sale.products.set(products)
    if categories is not None:
        sale.categories.set(categories)
    _reprice(after | before, now)
    audit.record(audit.CREATE if created else audit.UPDATE, sale,
                 audit.diff({} if created else audited_before, _audited(sale)))
    return sale


def _rule_problems(sale: Sale) -> list[DomainError]:
    problems = []
    if sale.percent_off is not None and sale.amount_off is not None:
        problems.append(CatalogError("Give exactly one of percentOff and amountOff.", field=["input", "amountOff"]))
    elif sale.percent_off is None and sale.amount_off is None:
        problems.append(CatalogError("Give exactly one of percentOff and amountOff.", code="REQUIRED",
                                     field=["input", "percentOff"]))
    if sale.starts_at is not None and sale.ends_at is not None and sale.ends_at <= sale.starts_at:
        problems.append(CatalogError("A sale must end after it starts.", field=["input", "endsAt"]))
    return problems


def _existing(model, ids: list[int] | None, argument: str, problems: list[DomainError]) -> list | None:
    """The rows for `ids` (None when the list was not given), or a NOT_FOUND per missing id into `problems`."""
    if ids is None:
        return None
    found = model.objects.in_bulk(ids)
    problems.extend(NotFound(f"No such {model._meta.verbose_name}.", field=["input", argument, str(i)])
                    for i, pk in enumerate(ids) if pk not in found)
    return list(found.values())


def refuse_amount_over_a_price(amount_off: Decimal, products: QuerySet[Product]) -> None:
    """INVALID on amountOff when it is more than the regular price of a variant of `products` (pricing.reached)."""
    cheapest = (ProductVariant.objects.filter(product__in=products.values("pk"), price__lt=amount_off)
                .select_related("product").order_by("price", "pk").first())
    if cheapest is not None:
        raise CatalogError(f"The amount off is more than the price of {cheapest} ({cheapest.price}).",
                           field=["input", "amountOff"])
