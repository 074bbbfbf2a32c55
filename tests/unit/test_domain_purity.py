import ast
import subprocess
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))
THIRD_PARTY = (
    "sqlalchemy",
    "dramatiq",
    "aiosmtplib",
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_settings",
    "structlog",
    "jinja2",
    "redis",
    "httpx",
    "psycopg",
    "prometheus_client",
    "typer",
    "rich",
    "segno",
)
PURE_DATA = ("iso4217",)  # ISO 4217 currencies and their exponents: data, no I/O


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in a file; relative imports stay inside the package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top == "domain" or top in sys.stdlib_module_names or top in PURE_DATA


def test_the_domain_package_has_modules_to_check():
    assert DOMAIN / "tiers.py" in MODULES
    assert DOMAIN / "platforms" / "shopify.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(DOMAIN)) for p in MODULES])
def test_a_domain_module_imports_only_the_standard_library_and_the_domain(path):
    outside = [f"{path.name}:{line} imports {module}" for line, module in imported_modules(path) if not allowed(module)]

    assert outside == []


def test_the_import_check_would_catch_a_third_party_import():
    assert not allowed("sqlalchemy.orm")
    assert not allowed("domainx")
    assert allowed("domain.platforms.common")
    assert allowed("decimal")
    assert allowed("iso4217")


def test_every_domain_module_imports_with_the_third_party_packages_unavailable():
    modules = [".".join(p.relative_to(DOMAIN.parent).with_suffix("").parts).removesuffix(".__init__") for p in MODULES]
    script = (
        "import sys\n"
        f"for name in {THIRD_PARTY!r}: sys.modules[name] = None\n"
        f"for module in {modules!r}: __import__(module)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=DOMAIN.parent, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
