"""analytics reads the store and nothing above it (DESIGN.md: beside crm_store)."""

from __future__ import annotations

import ast
from pathlib import Path

import analytics

ABOVE = {"bot", "channels", "nlu", "knowledge", "actions", "demo", "tests"}


def test_analytics_imports_only_crm_store_of_ours() -> None:
    root = Path(analytics.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [(path.name, n) for n in names if n.split(".")[0] in ABOVE]
    assert found == []
