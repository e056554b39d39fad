from django.db import models


class SentEmail(models.Model):
    """A record that one notification went out, so a job that runs twice does not send it twice."""

    key = models.CharField(max_length=200, unique=True, help_text="What was sent about what: welcome:42.")
    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.key} to {self.recipient}"
