from django.conf import settings
from django.db import models


class TicketStatus(models.TextChoices):
    OPEN = "OPEN"  # opened, no one has answered yet
    WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"  # staff answered last
    WAITING_ON_STAFF = "WAITING_ON_STAFF"  # the customer answered last
    CLOSED = "CLOSED"


class Ticket(models.Model):
    """A customer's conversation with staff. `email` is where the customer hears of replies: the account's, or
    for a guest the order's (a guest opens a ticket only about an order whose token they hold)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="tickets")
    email = models.EmailField()
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=24, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    staff_spoke_last = models.BooleanField(default=False, help_text="Whose message is the latest: staff's or the "
                                                                    "customer's.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["user", "-id"]), models.Index(fields=["status", "-id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketMessage(models.Model):
    """One message of a ticket, plain text. `author_name` is what both sides see (never a staff member's email)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_name = models.CharField(max_length=200)
    from_staff = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"


class TicketKey(models.Model):
    """The digest of a token that lets a guest follow a ticket. One is minted for each email to the customer
    (the raw token exists only in that email), so every link a guest was sent keeps working."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="keys")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"key of ticket #{self.ticket_id}"
