"""Tickets in the admin: filtered by status, by order, by who spoke last; the conversation inline; and staff's
reply (and close) on the ticket's page, through the same services as the API, so the customer is mailed and
the screens following the ticket hear of it. A customer's tickets show beside their orders: on the user's page
and on each order's."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from commerce.accounts.forms import request_address
from commerce.accounts.models import User
from commerce.errors import DomainError
from commerce.orders.models import Order
from commerce.support import services
from commerce.support.models import Ticket, TicketMessage


class ShownFormSet(BaseInlineFormSet):
    """Read-only rows: nothing to validate or save, so a post of the page without this formset's management form
    (a form that predates it, or a script) is not refused for it."""

    def is_valid(self) -> bool:
        return True

    def save(self, commit=True) -> list:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class ShownInline(admin.TabularInline):
    """Rows shown on another's page, never edited there (messages are written through the reply box)."""

    formset = ShownFormSet
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class TicketMessageInline(ShownInline):
    model = TicketMessage
    fields = ["created_at", "author_name", "from_staff", "body"]


class LastWordFilter(admin.SimpleListFilter):
    title = "last message from"
    parameter_name = "last"

    def lookups(self, request, model_admin):
        return [("staff", "Staff"), ("customer", "Customer")]

    def queryset(self, request, queryset):
        if self.value() in {"staff", "customer"}:
            return queryset.filter(staff_spoke_last=self.value() == "staff")
        return queryset


class TicketForm(forms.ModelForm):
    """The ticket's fields are read-only; staff write a reply (plain text) and may close the ticket with it."""

    reply = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80}), required=False,
                            help_text="Sent to the customer by email, and shown live on their screen.")
    close = forms.BooleanField(required=False, label="Close the ticket", help_text="After the reply, if any.")

    class Meta:
        model = Ticket
        fields = []

    def clean_reply(self):
        reply = self.cleaned_data["reply"]
        if not reply.strip():
            return ""
        try:
            return services.clean_text(reply, limit=settings.SUPPORT_BODY_MAX_LENGTH, field="reply")
        except DomainError as refused:
            raise forms.ValidationError(refused.message) from None


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketForm
    list_display = ["id", "subject", "email", "status", "order_link", "staff_spoke_last", "updated_at"]
    list_filter = ["status", ("order", admin.EmptyFieldListFilter), LastWordFilter, "created_at"]
    search_fields = ["=id", "subject", "email", "=order__id"]
    list_select_related = ["order"]
    readonly_fields = ["subject", "status", "email", "user", "order_link", "created_at", "updated_at"]
    fields = readonly_fields + ["reply", "close"]
    inlines = [TicketMessageInline]
    actions = ["close_tickets"]

    def has_add_permission(self, request):
        return False  # customers open tickets; staff answer them

    @admin.display(description="order", ordering="order")
    def order_link(self, ticket):
        if ticket.order_id is None:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("admin:orders_order_change", args=[ticket.order_id]),
                           ticket.order_id)

    def save_model(self, request, obj, form, change):
        """Nothing of the ticket is edited here: the reply and the close go through the services."""
        reply, close = form.cleaned_data.get("reply"), form.cleaned_data.get("close")
        with transaction.atomic():
            ticket = services.ticket_for_update(request.user, obj.pk)
            if reply:
                services.post_reply(ticket, request.user, body=reply, client_ip=request_address(request))
            if close:
                services.close_ticket(ticket)

    @admin.action(description="Close the selected tickets")
    def close_tickets(self, request, queryset):
        for ticket in queryset:
            services.close(request.user, ticket.pk)
        self.message_user(request, f"Closed {queryset.count()} ticket(s).", messages.SUCCESS)


class TicketsOf(ShownInline):
    """A customer's tickets (or an order's), each linking to its page."""

    model = Ticket
    fields = ["subject", "status", "staff_spoke_last", "updated_at"]
    show_change_link = True
    verbose_name_plural = "support tickets"


class UserTickets(TicketsOf):
    fk_name = "user"


class OrderTickets(TicketsOf):
    fk_name = "order"


def _show_beside(model, inline) -> None:
    """Add `inline` to the registered admin of `model` (accounts and orders sit below support and do not import
    it; this app extends their pages, as commerce.payments.admin extends the order's)."""
    registered = admin.site._registry.get(model)
    if registered is not None and inline not in registered.inlines:
        registered.inlines = [*registered.inlines, inline]


_show_beside(User, UserTickets)
_show_beside(Order, OrderTickets)
