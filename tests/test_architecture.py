"""The house's shape: packages under ``app/`` import each other one way, never in a loop, and
``app/core`` imports no part of the product; every package declares itself in the registry.

Imports are read from the source with ``ast`` (every import statement, inside functions and
``TYPE_CHECKING`` blocks too), so the check sees what a reader sees. A "unit" is a package
under ``app/`` (``app/sync/…`` is ``sync``) or a module at its top (``app/main.py`` is
``main``).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from app.core.db import metadata
from app.parts import PARTS

APP = Path(__file__).resolve().parent.parent / "app"
CORE = "core"

Graph = dict[str, set[str]]


def _module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # a relative import: from the module's own package, then up
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, base]) if base else ".".join(anchor)
    # ``from app import models`` names a module; ``from app.x import name`` names its module.
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _unit(root: str, module: str) -> str | None:
    pieces = module.split(".")
    if pieces[0] != root or len(pieces) < 2:
        return None
    return pieces[1]


def import_graph(root: Path) -> Graph:
    """Which unit imports which, from every ``.py`` file under ``root``."""
    graph: Graph = {}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(root, path)
        source = _unit(root.name, module)
        if source is None:
            continue
        targets = graph.setdefault(source, set())
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in _imported(node, module, path.name == "__init__.py"):
                    target = _unit(root.name, name)
                    if target is not None and target != source:
                        targets.add(target)
    # A name imported from a package's face (``from app import models``) is kept only when it
    # is a unit of its own: ``from app.sync import record`` must not make ``record`` a unit.
    units = set(graph)
    return {source: targets & units for source, targets in graph.items()}


def a_cycle(graph: Graph) -> list[str] | None:
    """One loop of imports between units, or None when there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as loop:
        return list(loop.args[1])
    return None


def core_imports(graph: Graph) -> set[str]:
    """The units that the core imports: none may be a part of the product."""
    return set(graph.get(CORE, set()))


# --- the app as it is -------------------------------------------------------------------------


def test_no_package_of_the_app_imports_another_in_a_loop() -> None:
    graph = import_graph(APP)
    assert {"core", "accounts", "sync", "main"} <= set(graph)  # read the tree, not nothing
    assert a_cycle(graph) is None, f"an import loop between app packages: {a_cycle(graph)}"


def test_the_core_imports_no_part_of_the_product() -> None:
    assert core_imports(import_graph(APP)) == set()


def test_every_package_is_a_part_in_the_registry() -> None:
    packages = {p.parent.name for p in APP.glob("*/__init__.py")}
    assert {part.name for part in PARTS} == packages
    for name in packages:
        assert (APP / name / "part.py").is_file(), f"app/{name} has no part.py"


def test_every_table_is_declared_by_exactly_one_part() -> None:
    declared: list[type[SQLModel]] = [model for part in PARTS for model in part.models]
    names = [str(model.__tablename__) for model in declared]
    assert len(names) == len(set(names))
    assert set(names) == set(metadata.tables)


def test_each_synced_entity_has_one_name() -> None:
    names = [entity.name for part in PARTS for entity in part.sync]
    assert len(names) == len(set(names))
    assert {"dynamic", "protocol", "completion", "checkin", "limits"} <= set(names)


# --- the check itself, on a made-up house ------------------------------------------------------


def _house(root: Path, files: dict[str, str]) -> Path:
    app = root / "app"
    for name, source in files.items():
        path = app / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return app


HEALTHY = {
    "__init__.py": "",
    "core/__init__.py": "",
    "core/db.py": "import sqlalchemy\n",
    "core/deps.py": "from app.core import db\nfrom . import db as again\n",
    "users/__init__.py": "",
    "users/service.py": "from app.core.db import x\n",
    "feed/__init__.py": "",
    "feed/record.py": "from app.core import db\nfrom app.users.service import y\n",
    "main.py": "from app import models\nfrom app.feed import record\n",
    "models.py": "import app.users.service\n",
}


def test_a_house_whose_arrows_run_one_way_passes(tmp_path: Path) -> None:
    graph = import_graph(_house(tmp_path, HEALTHY))
    assert graph == {
        "core": set(),
        "users": {"core"},
        "feed": {"core", "users"},
        "main": {"models", "feed"},
        "models": {"users"},
    }
    assert a_cycle(graph) is None
    assert core_imports(graph) == set()


@pytest.mark.parametrize(
    "extra",
    [
        # the loop that was: users call the feed, the feed reads users
        {"users/service.py": "from app.feed.record import z\n"},
        # a loop hidden in a function, through a module at the top
        {"users/service.py": "def f():\n    import app.main\n"},
        # a relative import that climbs out of the package
        {"users/service.py": "from ..feed import record\n"},
        # only for type checking is still a loop
        {"core/db.py": "import typing\nif typing.TYPE_CHECKING:\n    import app.main\n"},
    ],
)
def test_a_loop_of_imports_is_found(tmp_path: Path, extra: dict[str, str]) -> None:
    graph = import_graph(_house(tmp_path, {**HEALTHY, **extra}))
    loop = a_cycle(graph)
    assert loop is not None and loop[0] == loop[-1]


def test_the_core_importing_a_part_is_found(tmp_path: Path) -> None:
    house = _house(tmp_path, {**HEALTHY, "core/housekeeping.py": "from app.users import models\n"})
    assert core_imports(import_graph(house)) == {"users"}


# --- functions small enough to read ----------------------------------------------------------

# Lines, signature and docstring included (Biome holds the web app to the same).
LONGEST_FUNCTION = 80


def _functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    return [
        (node.end_lineno - node.lineno + 1, node.lineno, node.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None
    ]


def test_the_length_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LONGEST_FUNCTION))
    [(length, _, name)] = _functions(ast.parse(f"def long():\n{body}\n"))
    assert (length, name) == (LONGEST_FUNCTION + 1, "long")


def test_no_function_in_app_is_longer_than_a_screen() -> None:
    too_long = [
        f"{path.relative_to(APP.parent)}:{line} {name} ({length} lines)"
        for path in sorted(APP.rglob("*.py"))
        for length, line, name in _functions(ast.parse(path.read_text()))
        if length > LONGEST_FUNCTION
    ]
    assert too_long == []
