"""Customer accounts as the admin exports them (commerce.exports). A deleted account keeps its row, its personal
data already erased."""
from commerce.exports.datasets import Column, Dataset

from .models import User

CUSTOMERS = Dataset(
    name="customers",
    model=User,
    columns=(
        Column("id", lambda u: u.pk),
        Column("email", lambda u: u.email),
        Column("first_name", lambda u: u.first_name),
        Column("last_name", lambda u: u.last_name),
        Column("email_verified", lambda u: u.is_email_verified),
        Column("active", lambda u: u.is_active),
        Column("staff", lambda u: u.is_staff),
        Column("date_joined", lambda u: u.date_joined),
        Column("last_login", lambda u: u.last_login),
        Column("deleted_at", lambda u: u.deleted_at),
    ),
    chunk_size=2000,
)
