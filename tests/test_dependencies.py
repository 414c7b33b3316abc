"""Every third-party package the code imports is declared in pyproject.toml, not merely present
because something else happens to pull it in (ortools brings numpy today, but the engine imports
numpy itself)."""
import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Parts of Flask's own API, installed with it by definition.
PART_OF_FLASK = {"werkzeug", "click"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_level_modules() -> set[str]:
    modules = set()
    for path in (ROOT / "scheduler_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "scheduler_app"}


def test_every_imported_package_is_a_declared_dependency():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]
    declared = {_normalise(re.match(r"[A-Za-z0-9_.-]+", requirement).group()) for requirement in requirements}
    distributions = packages_distributions()
    undeclared = sorted(module for module in _imported_top_level_modules() - PART_OF_FLASK
                        if not {_normalise(d) for d in distributions.get(module, [module])} & declared)
    assert not undeclared, f"declare these in pyproject.toml [project] dependencies: {undeclared}"
