"""Exports in the admin: for each dataset an admin names, actions for the selected rows and changelist buttons
for every row the current filters and search match, in CSV and Excel. Up to EXPORT_INLINE_MAX_ROWS the file
answers at once; above, it is written by a job and its link emailed (files.py)."""
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from . import downloads, files
from .datasets import Dataset
from .writers import FORMATS


class ExportAdmin(admin.ModelAdmin):
    """A ModelAdmin base: `exports` lists the datasets its list exports (the first is its own rows)."""

    exports: tuple[Dataset, ...] = ()
    change_list_template = "admin/exports/change_list.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            for dataset in self.exports:
                for fmt in FORMATS:
                    name = f"export_{dataset.name}_{fmt}"
                    description = f"Export the selected {self.opts.verbose_name_plural}: {_label(dataset, fmt)}"
                    actions[name] = (_action(dataset, fmt), name, description)
        return actions

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("export/<str:dataset>/<str:fmt>/", self.admin_site.admin_view(self.export_matching),
                     name="%s_%s_export" % info), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        info = self.opts.app_label, self.opts.model_name
        query = request.GET.urlencode()
        buttons = [{"label": f"Export all: {_label(dataset, fmt)}",
                    "url": reverse("admin:%s_%s_export" % info, args=[dataset.name, fmt]) + (f"?{query}" if query else "")}
                   for dataset in self.exports for fmt in FORMATS]
        return super().changelist_view(request, {**(extra_context or {}), "export_buttons": buttons})

    def export_matching(self, request, dataset: str, fmt: str):
        """Every row the changelist shows under its current filters, search and date drill-down (its query string)."""
        chosen = next((d for d in self.exports if d.name == dataset), None)
        if chosen is None or fmt not in FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        return self.export(request, queryset, chosen, fmt) or HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist") + "?" + request.GET.urlencode())

    def export(self, request, queryset, dataset: Dataset, fmt: str):
        count = dataset.count(queryset)
        if count <= settings.EXPORT_INLINE_MAX_ROWS:
            return downloads.response(dataset, queryset, fmt)
        if files.too_many(request.user):
            self.message_user(request, f"{count} {dataset.name.replace('_', ' ')} to export, and you have asked for "
                                       f"{settings.EXPORT_LARGE_MAX_PER_HOUR} large exports this hour: try again "
                                       "later.", messages.ERROR)
            return None
        files.request_file(dataset, queryset, fmt, request.user, request.build_absolute_uri("/"))
        self.message_user(request, f"{count} {dataset.name.replace('_', ' ')} to export: the file is being written, "
                                   f"and a link to it will be emailed to {request.user.email}.", messages.SUCCESS)
        return None


def _label(dataset: Dataset, fmt: str) -> str:
    return f"{dataset.name.replace('_', ' ')} as {'Excel' if fmt == 'xlsx' else 'CSV'}"


def _action(dataset: Dataset, fmt: str):
    def export(modeladmin, request, queryset):
        return modeladmin.export(request, queryset, dataset, fmt)

    return export
