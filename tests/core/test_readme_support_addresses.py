"""The README states each provider's default support address the same everywhere, as the code has it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps.support.conf import PROVIDER_DEFAULTS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _what_the_readme_says_of(variable: str) -> list[str]:
    """For each table row or list item naming the variable: its words from the variable to the next one."""
    blocks = re.split(r"\n(?=\||- |\n)", README)
    said = []
    for block in blocks:
        for found in re.finditer(re.escape(variable), block):
            rest = block[found.end() :]
            following = re.search(r"`SUPPORT_", rest)
            said.append(rest[: following.start()] if following else rest)
    return said


@pytest.mark.parametrize("provider", sorted(p for p, (_, _, address) in PROVIDER_DEFAULTS.items() if address))
def test_every_mention_of_a_support_address_variable_gives_the_codes_default(provider):
    prefix, _, address = PROVIDER_DEFAULTS[provider]
    said = _what_the_readme_says_of(f"SUPPORT_{prefix}_EMAIL")
    assert said, f"the README does not document SUPPORT_{prefix}_EMAIL"
    assert [text for text in said if address not in text] == []
