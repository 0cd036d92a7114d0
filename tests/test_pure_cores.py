"""The pure cores (engine/, consumption/) never import Home Assistant, directly or through us.

Time is an argument there and tests run without `hass`; a Home Assistant import would tie them to
the event loop and the installed core. A relative import out of the package counts too: every
other module of the integration (units.py included) is part of the Home Assistant shell.
"""

import ast
from pathlib import Path

import pytest

import custom_components.energy_correlator as integration

PACKAGE = Path(integration.__file__).parent
PURE = ("engine", "consumption")


def shell_imports(source: str) -> list[str]:
    """What `source`, a module of a pure package, imports from Home Assistant or the shell."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:
                continue  # inside the package itself
            # `from ..x import y` / `from .. import x`: a sibling of the package
            targets = [node.module] if node.module else [a.name for a in node.names]
            found += [f"..{name}" for name in targets if name.partition(".")[0] not in PURE]
            continue
        else:
            continue
        found += [n for n in names if n == "homeassistant" or n.startswith("homeassistant.")]
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import homeassistant.core", ["homeassistant.core"]),
        ("from homeassistant.core import callback", ["homeassistant.core"]),
        ("import homeassistant", ["homeassistant"]),
        ("from ..units import to_kwh", ["..units"]),
        ("from .. import const", ["..const"]),
        ("from ..engine.models import Reading", []),
        ("from .models import Reading", []),
        ("import numpy as np\nimport homeassistant_like", []),
        ("def f():\n    from homeassistant.util import dt", ["homeassistant.util"]),
    ],
)
def test_the_check_sees_every_kind_of_import(source: str, expected: list[str]) -> None:
    """The scanner itself: direct, nested and relative imports are found; ours are not."""
    assert shell_imports(source) == expected


@pytest.mark.parametrize("package", PURE)
def test_pure_core_imports_no_home_assistant(package: str) -> None:
    """No module below engine/ or consumption/ imports Home Assistant or the shell."""
    sources = sorted((PACKAGE / package).rglob("*.py"))
    assert sources, f"{package}/ has no modules"
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sources
        if (found := shell_imports(path.read_text("utf-8")))
    }
    assert offenders == {}
