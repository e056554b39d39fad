"""An email backend that fails its first send, standing in for an SMTP server that is briefly down."""
import threading

from django.core.mail.backends.locmem import EmailBackend

_lock = threading.Lock()
_failures_left = {"count": 0}


def fail_next_sends(count: int) -> None:
    with _lock:
        _failures_left["count"] = count


class FlakyBackend(EmailBackend):
    def send_messages(self, messages):
        with _lock:
            if _failures_left["count"] > 0:
                _failures_left["count"] -= 1
                raise ConnectionRefusedError("SMTP server unavailable")
        return super().send_messages(messages)
