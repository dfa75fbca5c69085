"""The code's own rules, checked on the source tree (README, "Map of the code"):

- layers go one way: app → views → web → services → models / db; a view never imports another view;
- views change no state themselves: no ORM write (create, update, delete, save...) in views/;
- SQL text outside the ORM lives only in db/reads.py (migrations aside);
- one definition of the China timezone (services/clock.py);
- no test module imports another test module (shared builders are in tests/factories.py).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ("views", "web", "services", "models", "db")
WRITES = {"create", "update", "delete", "save", "bulk_create", "bulk_update", "get_or_create", "update_or_create",
          "select_for_update", "execute_query", "execute_script", "execute_query_dict"}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|UPDATE\s+\S+\s+SET|INSERT\s+INTO|DELETE\s+FROM|TRUNCATE)\b", re.S)


def sources(*dirs: str) -> list[Path]:
    files = []
    for d in dirs:
        files += sorted((ROOT / d).rglob("*.py"))
    return files


def app_sources() -> list[Path]:
    return sources(*APP_DIRS) + [ROOT / "app.py", ROOT / "cli.py", ROOT / "settings.py"]


def imports_of(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return out


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("layer,forbidden", [
    ("services", ("views", "web", "app")),
    ("models", ("views", "web", "services", "db", "app")),
    ("db", ("views", "web", "services", "app")),
    ("web", ("views", "app")),
])
def test_layers_only_import_downwards(layer, forbidden):
    bad = [f"{rel(p)} imports {name}" for p in sources(layer) for name in imports_of(p)
           if name.split(".")[0] in forbidden]
    assert not bad, bad


def test_a_view_never_imports_another_view():
    bad = [f"{rel(p)} imports {name}" for p in sources("views") for name in imports_of(p)
           if name.startswith("views.") or name == "views"]
    assert not bad, bad


def _model_names() -> set[str]:
    names = set()
    for p in sources("models"):
        for node in ast.parse(p.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
    return names


def _root_name(node: ast.AST) -> str | None:
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def test_views_change_no_state_themselves():
    """Every write goes through a service function (which checks its row count): none in views/."""
    models = _model_names()
    bad = []
    for p in sources("views"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                if _root_name(node.func.value) in models:
                    bad.append(f"{rel(p)}:{node.lineno} {ast.unparse(node)[:80]}")
    assert not bad, bad


def _docstrings(tree: ast.AST) -> set[int]:
    """Docstrings may describe a statement in SQL words; they are not SQL the code runs."""
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def test_sql_text_lives_only_in_the_read_path():
    bad = []
    for p in app_sources():
        if rel(p) == "db/reads.py":
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and SQL.search(node.value.upper())):
                bad.append(f"{rel(p)}:{node.lineno}")
    assert not bad, bad


def test_the_china_timezone_is_defined_once():
    pattern = re.compile(r"timedelta\(\s*hours\s*=\s*8\s*\)|Asia/Shanghai|UTC\+8\b")
    bad = [rel(p) for p in app_sources() + sources("tests", "bench")
           if p not in (ROOT / "services/clock.py", Path(__file__)) and pattern.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad


def test_no_test_module_imports_another():
    bad = [f"{rel(p)} imports {name}" for p in sources("tests") for name in imports_of(p)
           if re.match(r"tests(\.\w+)*\.(test_\w+|conftest)", name)]
    assert not bad, bad
