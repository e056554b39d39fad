"""Model validation spoken as domain errors: Django's field checks become coded errors on API field paths."""
from django.core.exceptions import ValidationError
from django.db.models import Model

from commerce.errors import Code, DomainError, DomainErrors

_CODES = {"required": Code.REQUIRED, "blank": Code.REQUIRED, "null": Code.REQUIRED, "unique": Code.ALREADY_EXISTS}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_fields(instance: Model, fields: list[str], *, path: list[str]) -> None:
    """Run the model's own checks on `fields` (required, length, choices, unique) or raise every failure.

    `path` prefixes each field as the API names it, so `first_name` under an `input` is ["input", "firstName"].
    """
    exclude = [f.name for f in instance._meta.fields if f.name not in fields]
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as invalid:
        raise DomainErrors(
            DomainError(error.messages[0], code=_CODES.get(error.code, Code.INVALID), field=[*path, camel(name)])
            for name, errors in invalid.error_dict.items()
            for error in errors
        ) from None
