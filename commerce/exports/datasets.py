"""What an export holds: a dataset's columns, declared once for every format, and how its rows are read.

Rows are read with `iterator(chunk_size=...)` over a queryset that selects and prefetches what the columns touch,
so an export of 50,000 orders holds one chunk at a time and runs the same few queries per chunk as per 10 rows.
"""
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[Any], Any]  # a record (see Dataset.records) -> a str, number, bool, datetime or None


def _itself(obj) -> Iterable:
    return (obj,)


@dataclass(frozen=True)
class Dataset:
    name: str  # the file's name ("orders.xlsx") and the job's key
    model: type[Model]  # what its rows are read from
    columns: tuple[Column, ...]
    prepare: Callable[[QuerySet], QuerySet] = lambda queryset: queryset  # select/prefetch what the columns touch
    records: Callable[[Model], Iterable] = _itself  # the rows one object makes (a product: one per variant)
    # From another admin's list: the lookup that narrows this model to it (order lines of orders: "order__in").
    via: dict[type[Model], str] = field(default_factory=dict)
    chunk_size: int = 500

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def of(self, queryset: QuerySet) -> QuerySet:
        """This dataset's objects among `queryset` (of its own model, or of a model it names in `via`)."""
        if queryset.model is self.model:
            return queryset
        return self.model._default_manager.filter(**{self.via[queryset.model]: queryset.values("pk")})

    def count(self, queryset: QuerySet) -> int:
        """How many objects the export reads: what EXPORT_INLINE_MAX_ROWS is compared with."""
        return self.of(queryset).count()

    def rows(self, queryset: QuerySet) -> Iterator[list]:
        objects = self.prepare(self.of(queryset).order_by("pk"))
        for obj in objects.iterator(chunk_size=self.chunk_size):
            for record in self.records(obj):
                yield [column.value(record) for column in self.columns]
