"""Email in tests: a backend that fails its first sends (an SMTP server briefly down), and reading what was sent."""
import re
import threading
from pathlib import Path

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


# --- Reading what was sent: the outbox of this process (the `mailoutbox` fixture), or the files a server process
# wrote with the file-based backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend).


def token_in(text: str, url: str) -> str:
    """The token of the first link in `text` made from `url` (a setting such as EMAIL_VERIFICATION_URL, with
    {token} where the token goes)."""
    before, _, after = url.partition("{token}")
    (token, *_) = re.findall(re.escape(before) + r"([\w.-]+)" + re.escape(after), text)
    return token


def sent_to(outbox, address: str, subject_has: str = "") -> list:
    """The messages of `outbox` (mailoutbox) to `address`, whose subject contains `subject_has`."""
    return [m for m in outbox if m.to == [address] and subject_has in m.subject]


def files_to(mail_dir: Path, address: str) -> list[str]:
    """What a server process wrote to `mail_dir` (its EMAIL_FILE_PATH) for `address`, oldest first."""
    return [f.read_text() for f in sorted(mail_dir.glob("*.log")) if f"To: {address}" in f.read_text()]
