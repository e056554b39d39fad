"""Every error code commerce names is one the API knows, so a misspelt code fails here, never as a masked 500.

Codes passed as names ("INSUFFICIENT_STOCK") are checked when the error is made; this reads every such literal in
commerce/ (a `code=` keyword or an all-caps argument of an error or warning, a class's `code = ...`), so a path no
other test takes is checked too.
"""
import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from commerce.errors import Code, DomainError, DomainErrors, NotFound

COMMERCE = Path(settings.BASE_DIR) / "commerce"
CODE_LIKE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|[A-Z]{4,}")


def _callee(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def _is_error_or_warning(name: str) -> bool:
    return name == "NotFound" or name.endswith(("Error", "Errors", "Warning"))


def code_literals(tree: ast.AST) -> list[ast.Constant]:
    """The string constants used as error codes in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_error_or_warning(_callee(node)):
            found += [k.value for k in node.keywords if k.arg == "code"]
            found += [a for a in node.args if isinstance(a, ast.Constant) and CODE_LIKE.fullmatch(str(a.value))]
        elif isinstance(node, ast.ClassDef):
            found += [s.value for s in node.body if isinstance(s, ast.Assign)
                      and any(getattr(t, "id", None) == "code" for t in s.targets)]
    return [c for c in found if isinstance(c, ast.Constant) and isinstance(c.value, str)]


def test_every_code_literal_in_commerce_is_an_error_code():
    unknown, seen = [], 0
    for path in sorted(COMMERCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for literal in code_literals(ast.parse(path.read_text(), filename=str(path))):
            seen += 1
            if literal.value not in Code.__members__:
                unknown.append(f"{path.relative_to(settings.BASE_DIR)}:{literal.lineno}: {literal.value}")
    assert unknown == []
    assert seen > 20, "the scan found almost no codes: has the way errors are raised changed?"


def test_the_scan_finds_codes_in_keywords_warnings_and_class_bodies():
    tree = ast.parse('''
class PaymentError(DomainError):
    code = "PAYMENT_PROVIDR_ERROR"
raise CartError("Sold out.", code="INSUFICIENT_STOCK", field=["x"])
warnings.append(CartWarning(1, "PRICE_CHANGD", "The price changed."))
errors.NotFound("Gone.", code="NOT_FOND")
print("PRICE_CHANGD", code="NOT_AN_ERROR_CALL")
''')
    assert sorted(c.value for c in code_literals(tree)) == [
        "INSUFICIENT_STOCK", "NOT_FOND", "PAYMENT_PROVIDR_ERROR", "PRICE_CHANGD"]


def test_a_misspelt_code_is_refused_when_the_error_is_made():
    with pytest.raises(ValueError, match="INSUFICIENT_STOCK"):
        DomainError("Sold out.", code="INSUFICIENT_STOCK")
    assert DomainError("Sold out.", code="INSUFFICIENT_STOCK").code is Code.INSUFFICIENT_STOCK
    assert DomainErrors([NotFound("Gone."), DomainError("Bad.")]).code is Code.NOT_FOUND


def test_a_misspelt_class_code_is_refused_when_the_class_is_defined():
    with pytest.raises(ValueError, match="NOT_FOND"):
        type("GoneError", (DomainError,), {"code": "NOT_FOND"})


def test_every_code_is_documented_for_clients_and_nothing_else_is():
    """docs/errors.md is the reference client developers read: every `ErrorCode` has a row, and no row names a code
    the API does not have."""
    reference = (Path(settings.BASE_DIR) / "docs" / "errors.md").read_text()
    user_errors = reference.split("## Top-level", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", user_errors, flags=re.M))
    assert documented == {code.value for code in Code}
