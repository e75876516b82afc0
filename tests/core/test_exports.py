"""The one CSV helper every writer uses: formula cells get an apostrophe, others are left alone."""

from __future__ import annotations

import io

import pytest

from apps.core.exports import SafeDictWriter, SafeWriter, csv_cell, csv_cell_restore


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_starting_a_formula_gets_an_apostrophe_and_reads_back(value):
    assert csv_cell(value) == "'" + value
    assert csv_cell_restore(csv_cell(value)) == value


@pytest.mark.parametrize("value", ["Ada", "", "1-1", "'quoted", 5, None])
def test_other_cells_are_unchanged(value):
    assert csv_cell(value) == value


def test_the_writers_neutralise_every_cell():
    buffer = io.StringIO()
    # when rows with formula cells go through the plain and the dict writer
    SafeWriter(buffer).writerow(["=a", "b"])
    writer = SafeDictWriter(buffer, fieldnames=["x"])
    writer.writerows([{"x": "-c"}])
    # then every formula cell gets its apostrophe and the others are written as they are
    assert buffer.getvalue() == "'=a,b\r\n'-c\r\n"


def test_no_module_writes_csv_without_the_helper():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "apps"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "exports.py"
        and any(name in path.read_text() for name in ("csv.writer(", "csv.DictWriter("))
    ]
    assert offenders == []
