"""docs/architecture.md stays true: its picture of the layers is the import contract, its names exist."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text()


def test_the_picture_is_the_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = config["tool"]["importlinter"]["contracts"]
    contracted = [
        {name.strip().removeprefix("apps.") for name in layer.split("|")} for layer in contract["layers"]
    ]
    block = DOC.split("## The apps as layers", 1)[1].split("```", 2)[1]
    pictured = [
        {name.strip() for name in re.split(r"\s{4,}", line.strip())[0].split("|")}
        for line in block.strip("\n").splitlines()
    ]
    assert pictured == contracted


def _cited_names():
    for module, names in re.findall(
        r"`((?:core|users|companies|mappings|employees|integrations|payroll|support|"
        r"implementations|dashboard|sandbox|audit|demo)\.[\w.]+)`(?: \(([^)]*)\))?",
        DOC,
    ):
        yield module, re.findall(r"`(\w+)`", names or "")


def test_every_module_and_name_the_page_cites_exists():
    missing = []
    for dotted, names in _cited_names():
        parts = dotted.split(".")
        for cut in range(len(parts), 1, -1):
            try:
                obj = importlib.import_module("apps." + ".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attr in parts[cut:]:
                obj = getattr(obj, attr, None)
            break
        else:
            obj = None
        if obj is None:
            missing.append(dotted)
            continue
        missing += [f"{dotted}.{n}" for n in names if not hasattr(obj, n)]
    assert missing == []
