"""Panels: a page of a lower app shows a part that a higher app renders, without importing it.

The downstream action's admin page (employees) shows the configuration in force when the action was decided;
that reading belongs to the audit app (the top layer, which keeps every model's history). The audit app
provides the panel in its ``AppConfig.ready()``; the page asks for it by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PANELS: dict[str, Callable[[Any], Any]] = {}


def panel_provide(name: str, render: Callable[[Any], Any]) -> None:
    """Register (or replace) the function that renders panel ``name`` for an object."""
    _PANELS[name] = render


def panel_render(name: str, obj: Any, *, missing: str = "not available") -> Any:
    """The panel ``name`` rendered for ``obj``; ``missing`` when no installed app provides it."""
    render = _PANELS.get(name)
    return missing if render is None else render(obj)
