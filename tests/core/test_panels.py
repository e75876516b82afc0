"""Panels: a lower app's page shows what a higher app renders, looked up by name."""

from apps.audit.asof import configuration_in_force
from apps.core import panels


def test_a_panel_no_app_provides_renders_its_missing_text():
    assert panels.panel_render("nobody-provides-this", object(), missing="none here") == "none here"


def test_the_audit_app_provides_the_configuration_panel():
    assert panels._PANELS["configuration-in-force"] is configuration_in_force
