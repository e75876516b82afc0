"""Browsers' request for /favicon.ico gets the hub's icon, not a 404."""

from __future__ import annotations


def test_the_favicon_is_served_as_an_icon_without_signing_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)
    assert "max-age=86400" in response["Cache-Control"]
