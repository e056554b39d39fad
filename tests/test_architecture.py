"""Which way the imports point (ARCHITECTURE.md), checked on the source so a back-reference fails here, not in a
review: commerce imports neither graph nor tasks; its apps depend one way; graph's domain modules never reach
into the transport layer."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each commerce app and the apps it may import. The shared modules at commerce's top level, the notifications
# app (the sent-email log every app writes to) and the audit app (the log of who changed what) are open to all.
COMMERCE_LAYERS = {
    "accounts": set(),
    "catalog": set(),
    "carts": {"accounts", "catalog"},
    "orders": {"accounts", "catalog", "carts"},
    "payments": {"accounts", "catalog", "carts", "orders"},
    "support": {"accounts", "catalog", "carts", "orders"},
}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def sources(folder: str) -> list[Path]:
    return sorted(path for path in (ROOT / folder).rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("path", sources("commerce"), ids=lambda p: str(p.relative_to(ROOT)))
def test_commerce_imports_neither_graph_nor_tasks_and_its_apps_point_down(path):
    modules = imported_modules(path)
    assert not {m for m in modules if m.split(".")[0] in {"graph", "tasks"}}
    parts = path.relative_to(ROOT / "commerce").parts
    app = parts[0] if len(parts) > 1 else None
    if app in COMMERCE_LAYERS:
        allowed = COMMERCE_LAYERS[app] | {app}
        reached = {m.split(".")[1] for m in modules if m.startswith("commerce.") and m.count(".") >= 1}
        assert reached & set(COMMERCE_LAYERS) <= allowed, f"commerce.{app} imports a higher app"


@pytest.mark.parametrize("path", sources("commerce/audit"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_audit_log_imports_no_app_so_every_app_can_import_it(path):
    """Only accounts' signals, to redact what entries hold of a deleted account (as the sent-email log does)."""
    reached = {m for m in imported_modules(path) if m.startswith("commerce.") and m.split(".")[1] in COMMERCE_LAYERS}
    assert reached <= {"commerce.accounts.signals", "commerce.accounts.signals.account_erasing"}


@pytest.mark.parametrize("path", [p for p in sources("graph") if p.parent == ROOT / "graph" or p.parent.name == "core"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_graph_domain_modules_never_import_the_transport(path):
    if path.name in {"schema.py", "apps.py"}:  # the assembly and the app config wire the layers together
        return
    assert not {m for m in imported_modules(path) if m.startswith(("graph.transport", "graph.realtime"))}
