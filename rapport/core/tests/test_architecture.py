"""One writer per table: no app writes another app's models.

Every table has one owner; the others ask it (its services, its bulk writer). This test reads the
source of each app and fails on any write — `create`, `update`, `delete`, `save`, `bulk_create`,
the fast bulk helpers — whose model comes from another app's `models`. (The merge engine moves
other apps' rows through the relations they declared; it never names their models.)
"""

import ast
from pathlib import Path

import pytest

RAPPORT = Path(__file__).resolve().parents[2]
WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
    "save",
    "get_or_create",
    "update_or_create",
}
BULK_HELPERS = {"insert_rows", "update_rows", "delete_where_in"}


def _apps() -> list[str]:
    return sorted(p.name for p in RAPPORT.iterdir() if p.is_dir() and (p / "apps.py").exists())


def _modules(app: str) -> list[Path]:
    return [
        path
        for path in (RAPPORT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def _foreign_models(tree: ast.AST, app: str) -> dict[str, str]:
    """{name in this module: "other_app"} for every name imported from another app's models."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            foreign = parts[0] == "rapport" and len(parts) >= 3 and parts[1] != app
            if foreign and parts[2] == "models":
                for alias in node.names:
                    found[alias.asname or alias.name] = parts[1]
    return found


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _writes_to_foreign(path: Path, app: str) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    foreign = _foreign_models(tree, app)
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            target = _root(node.func.value)
        elif isinstance(node.func, ast.Name) and node.func.id in BULK_HELPERS and node.args:
            target = _root(node.args[0])
        if isinstance(target, ast.Name) and target.id in foreign:
            where = path.relative_to(RAPPORT.parent) if path.is_relative_to(RAPPORT) else path.name
            problems.append(f"{where}:{node.lineno}: {app} writes {foreign[target.id]}.{target.id}")
    return problems


@pytest.mark.parametrize("app", _apps())
def test_no_app_writes_another_apps_models(app):
    problems = [p for path in _modules(app) for p in _writes_to_foreign(path, app)]
    assert problems == [], "\n".join(problems)


def test_the_check_finds_a_write_to_another_apps_model(tmp_path):
    source = tmp_path / "services.py"
    source.write_text(
        "from rapport.customers.models import Customer\n"
        "from rapport.core.bulk import insert_rows\n"
        "def f():\n"
        "    Customer.objects.filter(pk=1).update(notes='x')\n"
        "    insert_rows(Customer, ('notes',), [('x',)])\n"
        "    Customer.objects.filter(pk=1).exists()\n"
    )
    problems = [p.split(": ", 1)[1] for p in _writes_to_foreign(source, "sales")]
    assert problems == ["sales writes customers.Customer", "sales writes customers.Customer"]
