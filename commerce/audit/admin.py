"""The audit log in the admin: searchable and filterable, never added, edited or deleted, by anyone (a superuser
included: the permission checks say no whatever the user's permissions).

`Audited` is for the admin pages whose writes have no service of their own (vouchers, staff flags, attribute
definitions, a variant edited on its page): it records the fields it names, compared before and after the save,
related sets (groups) included."""
from django.contrib import admin

from commerce import audit
from commerce.admin import ReadOnlyAdmin
from commerce.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_email", "source", "action", "object_type", "object_repr", "changes"]
    list_filter = ["action", "object_type", "created_at", "source"]
    search_fields = ["actor_email", "object_repr", "object_id", "action", "object_type", "request_id"]
    date_hierarchy = "created_at"
    list_select_related = False
    readonly_fields = ["created_at", "actor", "actor_email", "source", "action", "object_type", "object_id",
                       "object_repr", "changes", "request_id"]
    fields = readonly_fields
    show_full_result_count = False  # a log grows without end: no COUNT(*) of it all on every page

    def get_actions(self, request):
        return {}  # not even "delete selected"


class Audited:
    """A ModelAdmin mixin: one entry for each save or delete, with the `audited_fields` that changed."""

    audited_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.filter(pk=obj.pk).first() if change else None
        form._audit_before = audit.snapshot(before, self.audited_fields) if before is not None else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the related sets (groups) are saved here
        obj = form.instance
        changes = audit.diff(getattr(form, "_audit_before", {}), audit.snapshot(obj, self.audited_fields))
        if changes or not change:
            audit.record(audit.UPDATE if change else audit.CREATE, obj, changes, actor=request.user)

    def delete_model(self, request, obj):
        audit.record(audit.DELETE, obj, {name: [value, None] for name, value in
                                         audit.snapshot(obj, self.audited_fields).items()}, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(audit.DELETE, obj, {name: [value, None] for name, value in
                                             audit.snapshot(obj, self.audited_fields).items()}, actor=request.user)
        super().delete_queryset(request, queryset)
