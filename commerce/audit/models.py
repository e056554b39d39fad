from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change staff (or a job) made: who, what, to which object, each field's value before and after.

    What identifies the actor and the object is copied in (`actor_email`, `object_repr`), so an entry still
    reads right once the row it names is changed or gone; the object is named by type and id, not by a foreign key,
    so any app's rows can be named and deleting one never deletes its history."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="Empty: the system (a job, a provider's webhook).")
    actor_email = models.CharField(max_length=254, blank=True, help_text="The actor's email when they acted.")
    source = models.CharField(max_length=100, blank=True,
                              help_text="Where the change came from: api, admin, job:<name>, or empty.")
    action = models.CharField(max_length=60, db_index=True, help_text="What was done: variant.update, ...")
    object_type = models.CharField(max_length=60, help_text="app_label.model of what was changed.")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    request_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_email or 'system'} {self.action} {self.object_repr}"
