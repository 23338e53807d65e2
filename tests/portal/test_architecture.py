"""The shape of the code: the domain core (portal/) never imports a blueprint package, and no blueprint
imports another blueprint's modules. Only the app factory registers the blueprints."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ("admin", "buyer", "evaluation", "supplier")


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_core_imports_no_blueprint():
    offenders = {}
    for path in (ROOT / "portal").rglob("*.py"):
        if path == ROOT / "portal" / "__init__.py":
            continue  # the app factory registers the blueprints
        found = _imported_packages(path) & set(BLUEPRINTS)
        if found:
            offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}


def test_no_blueprint_imports_another_blueprint():
    offenders = {}
    for blueprint in BLUEPRINTS:
        for path in (ROOT / blueprint).rglob("*.py"):
            found = _imported_packages(path) & (set(BLUEPRINTS) - {blueprint})
            if found:
                offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}
