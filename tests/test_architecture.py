"""The import rules and size limit of ``docs/architecture.md``, checked on the source.

Every module of ``arabpress_crawler``, ``arabpress_mirror`` and ``bench`` is parsed with :mod:`ast`; its imports
are collected wherever they are written (module level, inside functions, under ``if TYPE_CHECKING:``), with
relative imports resolved, and each rule below is one test, so a failure names the rule and every import that
breaks it (``file:line imports module``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("arabpress_crawler", "arabpress_mirror", "bench")
MAX_LINES = 500
#: Files over MAX_LINES that other engineers are splitting right now; the lead empties this set at merge.
PENDING_SPLIT: set[str] = set()

#: The only crawler modules that may import the mirror package, and the command each one holds.
MIRROR_COMMAND_MODULES = {
    "arabpress_crawler/cli/mirror.py": "arabpress mirror ...",
    "arabpress_crawler/cli/crawl.py": "arabpress demo",
}
#: What page objects never import: the database, the spider, the pipelines, the crawl runner and the CLI.
PAGES_FORBIDDEN = (
    "arabpress_crawler.db",
    "arabpress_crawler.spiders",
    "arabpress_crawler.pipelines",
    "arabpress_crawler.crawling",
    "arabpress_crawler.cli",
)
#: What the database package never imports.
DATABASE_FORBIDDEN = ("scrapy", "twisted")
#: The database package (which crawler modules it may import is ``tests/test_db_layout.py``'s rule).
DATABASE_MODULES = ("arabpress_crawler.db",)


@dataclass(frozen=True)
class Import:
    """One imported module, where it is imported and how."""

    path: str  # the importing file, relative to the repository root
    line: int
    target: str  # the imported module, absolute and dotted
    in_function: bool  # written inside a function (runs when the function runs)
    type_checking: bool  # written under ``if TYPE_CHECKING:`` (never runs)

    def __str__(self) -> str:
        how = " (inside a function)" if self.in_function else " (TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.path}:{self.line} imports {self.target}{how}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    """True when ``dotted`` names a module or package of this repository."""
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class ImportCollector(ast.NodeVisitor):
    """Collects the imports of one module, lazy ones included."""

    def __init__(self, path: str, package: str, is_module: Callable[[str], bool] = is_module) -> None:
        self.path = path
        self.package = package  # the package relative imports start from
        self.is_module = is_module
        self.imports: list[Import] = []
        self._function_depth = 0
        self._type_checking_depth = 0

    def _add(self, node: ast.stmt, target: str) -> None:
        self.imports.append(
            Import(self.path, node.lineno, target, self._function_depth > 0, self._type_checking_depth > 0)
        )

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function  # noqa: N815 (ast visitor names)

    def visit_If(self, node: ast.If) -> None:  # noqa: N802 (ast visitor name)
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self._type_checking_depth += 1
        for child in node.body:
            self.visit(child)
        self._type_checking_depth -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:  # noqa: N802 (ast visitor name)
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802 (ast visitor name)
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            # ``from package import module`` imports the module itself.
            submodule = f"{base}.{alias.name}"
            self._add(node, submodule if alias.name != "*" and self.is_module(submodule) else base)


def collect_imports(
    source: str, path: str, package: str, is_module: Callable[[str], bool] = is_module
) -> list[Import]:
    collector = ImportCollector(path, package, is_module)
    collector.visit(ast.parse(source, filename=path))
    return collector.imports


def python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


@cache
def all_imports() -> dict[str, list[Import]]:
    """Importing module (dotted) -> its imports, for every module of the checked packages."""
    found = {}
    for file in python_files():
        name = module_name(file)
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        relative = file.relative_to(ROOT).as_posix()
        found[name] = collect_imports(file.read_text(encoding="utf-8"), relative, package)
    return found


def within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    """True when ``module`` is one of ``prefixes`` or inside one of them."""
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def imports_from(scope: tuple[str, ...] | str) -> list[Import]:
    modules = [name for name in all_imports() if within(name, scope)]
    assert modules, f"no module in {scope}: the rule would check nothing (was the package moved?)"
    return [found for name in modules for found in all_imports()[name]]


def breaking(found: list[Import], forbidden: tuple[str, ...] | str) -> list[str]:
    return [str(item) for item in found if within(item.target, forbidden)]


# The import collector itself ---------------------------------------------------------------------------------


def test_the_collector_sees_lazy_type_checking_and_relative_imports() -> None:
    source = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        import json
        from . import store
        from .pages.common import xpath

        if TYPE_CHECKING:
            from arabpress_mirror.server import MirrorServer

        def command():
            import arabpress_mirror.layout
            class Inner:
                def method(self):
                    from scrapy import Spider
        """
    )
    modules = {"arabpress_crawler.store", "arabpress_crawler.pages", "arabpress_crawler.pages.common"}
    found = {(item.target, item.in_function, item.type_checking) for item in
             collect_imports(source, "arabpress_crawler/x.py", "arabpress_crawler", modules.__contains__)}  # fmt: skip
    assert found == {
        ("typing", False, False),
        ("json", False, False),
        ("arabpress_crawler.store", False, False),
        ("arabpress_crawler.pages.common", False, False),
        ("arabpress_mirror.server", False, True),
        ("arabpress_mirror.layout", True, False),
        ("scrapy", True, False),
    }


# Import rules ---------------------------------------------------------------------------------------------------


def test_page_objects_never_import_the_database_the_spider_the_pipelines_or_the_cli() -> None:
    assert breaking(imports_from("arabpress_crawler.pages"), PAGES_FORBIDDEN) == []


def test_the_database_never_imports_scrapy_or_twisted() -> None:
    assert breaking(imports_from(DATABASE_MODULES), DATABASE_FORBIDDEN) == []


def test_the_spider_never_imports_the_pipelines_the_crawl_runner_or_the_cli() -> None:
    forbidden = ("arabpress_crawler.pipelines", "arabpress_crawler.crawling", "arabpress_crawler.cli")
    assert breaking(imports_from("arabpress_crawler.spiders"), forbidden) == []


def test_the_pipelines_never_import_the_spider_the_page_objects_the_crawl_runner_or_the_cli() -> None:
    forbidden = (
        "arabpress_crawler.spiders",
        "arabpress_crawler.pages",
        "arabpress_crawler.crawling",
        "arabpress_crawler.cli",
    )
    assert breaking(imports_from("arabpress_crawler.pipelines"), forbidden) == []


def test_exports_health_and_datasette_never_import_the_crawl() -> None:
    readers = ("arabpress_crawler.exporting", "arabpress_crawler.health", "arabpress_crawler.datasette")
    forbidden = (
        "arabpress_crawler.spiders",
        "arabpress_crawler.pipelines",
        "arabpress_crawler.crawling",
        "arabpress_crawler.cli",
    )
    assert breaking(imports_from(readers), forbidden) == []


def test_only_the_mirror_and_demo_commands_import_the_mirror_package() -> None:
    found = [item for item in imports_from("arabpress_crawler") if within(item.target, "arabpress_mirror")]
    assert [str(item) for item in found if item.path not in MIRROR_COMMAND_MODULES] == []
    # The allowance is used: each named module does import the mirror (else the list is stale).
    assert {item.path for item in found} == set(MIRROR_COMMAND_MODULES)


def test_the_demo_command_imports_the_mirror_only_when_it_runs() -> None:
    found = [
        item
        for item in all_imports()["arabpress_crawler.cli.crawl"]
        if within(item.target, "arabpress_mirror")
    ]
    assert [str(item) for item in found if not (item.in_function or item.type_checking)] == []


def test_no_crawler_module_imports_the_mirror_commands_module() -> None:
    """``arabpress_crawler.cli`` loads ``cli/mirror.py`` by name when ``arabpress mirror`` is asked for."""
    assert breaking(imports_from("arabpress_crawler"), "arabpress_crawler.cli.mirror") == []


def test_the_mirror_never_imports_the_crawler() -> None:
    assert breaking(imports_from("arabpress_mirror"), "arabpress_crawler") == []


# What the rules buy: the crawler runs without the mirror package --------------------------------------------

WITHOUT_MIRROR = """
import sys
sys.modules["arabpress_mirror"] = None  # any import of it now raises ModuleNotFoundError
from click.testing import CliRunner
from arabpress_crawler.cli import cli
for args in (["--help"], ["crawl", "--help"], ["mirror", "serve"], ["demo", "--db", sys.argv[1]]):
    result = CliRunner().invoke(cli, args)
    print(repr(args), result.exit_code, repr(result.output.strip().splitlines()[-1]), repr(result.exception))
"""


def test_the_cli_loads_without_importing_the_mirror() -> None:
    code = "import sys, arabpress_crawler.cli; print(sorted(m for m in sys.modules if m.startswith('arabpress_mirror')))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_the_mirror_package_the_mirror_commands_say_so_in_one_line(tmp_path: Path) -> None:
    from arabpress_crawler.cli import MIRROR_MISSING

    result = subprocess.run([sys.executable, "-c", WITHOUT_MIRROR, str(tmp_path / "demo.db")], cwd=ROOT,
                            capture_output=True, text=True, check=True)  # fmt: skip
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("['--help'] 0 ") and lines[1].startswith("['crawl', '--help'] 0 ")
    for line in lines[2:]:
        assert f" 1 'Error: {MIRROR_MISSING}' SystemExit(1)" in line, line
    assert not (tmp_path / "demo.db").exists()


# Size -----------------------------------------------------------------------------------------------------------


def line_counts() -> dict[str, int]:
    return {
        file.relative_to(ROOT).as_posix(): len(file.read_text(encoding="utf-8").splitlines())
        for file in python_files()
    }


def test_no_module_is_over_500_lines() -> None:
    over = {path: lines for path, lines in line_counts().items() if lines > MAX_LINES}
    assert {path: lines for path, lines in over.items() if path not in PENDING_SPLIT} == {}


def test_pending_split_lists_only_files_still_over_the_limit() -> None:
    """Once a pending file is split (or gone), its entry must leave PENDING_SPLIT (empty today: none pending)."""
    counts = line_counts()
    split = {path: counts.get(path, 0) for path in PENDING_SPLIT if counts.get(path, 0) <= MAX_LINES}
    assert split == {}, f"split now, remove from PENDING_SPLIT: {split}"
