"""What the accounts domain announces (on commit, through commerce.events.announce)."""
from django.dispatch import Signal

account_registered = Signal()  # user_id
password_reset_requested = Signal()  # email, request_id (the email may have no account)
account_erasing = Signal()  # user: sent inside the deletion's transaction, before personal data is erased;
#                              receivers erase what their app holds of the user, or raise a DomainError to refuse
email_verified = Signal()  # user_id, email: the user proved they own `email` (guest orders join the account)
email_confirmation_requested = Signal()  # email, request_id: mail a new verification link (the email may have no account)
email_change_requested = Signal()  # user_id, new_email, request_id: mail the link to the new address, tell the old
sign_ins_ended = Signal()  # family_ids (list), user_id (or None): these sign-ins, or every one of the user, no longer
#                            stand (signed out, revoked, password changed, account deactivated or deleted); live
#                            sockets that signed in with them are closed (graph.transport.sign_ins)
