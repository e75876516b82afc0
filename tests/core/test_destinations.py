"""The destinations policy as a table: which URLs and hosts the hub may call, with the sandbox on and off."""

from __future__ import annotations

import pytest

from apps.core import destinations

REFUSED_ALWAYS = [
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://10.0.0.7/api", "private"),
    ("https://192.168.1.20/api", "private"),
    ("https://172.16.4.4/api", "private"),
    ("https://[fc00::1]/api", "private"),
    ("https://169.254.10.10/", "link-local"),
    ("https://[fe80::1]/", "link-local"),
    ("https://0.0.0.0/", "unspecified"),
    ("ftp://files.example.com/", "https"),
    ("file:///etc/passwd", "https"),
    ("gopher://example.com/", "https"),
    ("https://user:pass@api.example.com/", "credentials"),
    ("https://token@api.example.com/", "credentials"),
    ("http://api.example.com/", "use https"),
    ("http://10.0.0.7/", "use https"),
]

LOOPBACK = [
    "http://127.0.0.1:8000/sandbox/paylocity",
    "https://127.0.0.1/",
    "http://localhost:8000/sandbox/paylocity",
    "https://[::1]/",
    "https://2130706433/",  # 127.0.0.1 written as one decimal number
    "https://0x7f.1/",
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_ALWAYS)
@pytest.mark.parametrize("sandbox", [True, False])
def test_refused_destinations_are_refused_with_the_reason(settings, url, reason, sandbox):
    settings.SANDBOX_ENABLED = sandbox
    with pytest.raises(destinations.DestinationError, match=reason):
        destinations.validate_url(url)


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_allowed_only_while_the_sandbox_is_on(settings, url):
    settings.SANDBOX_ENABLED = True
    destinations.validate_url(url)
    settings.SANDBOX_ENABLED = False
    with pytest.raises(destinations.DestinationError):
        destinations.validate_url(url)


def test_public_https_hosts_are_allowed(settings):
    settings.SANDBOX_ENABLED = False
    destinations.validate_url("https://api.paylocity.com/")
    destinations.validate_url("https://93.184.216.34/api")
    destinations.validate_host("sftp.affinity.example")


def test_the_admin_allow_list_names_private_addresses_networks_and_hosts(settings):
    # given the sandbox off and an allow-list of a private network, a private address and an internal host
    settings.SANDBOX_ENABLED = False
    settings.OUTBOUND_ALLOWED_DESTINATIONS = ["10.20.0.0/16", "192.168.1.20", "sftp.corp.internal"]
    # when destinations inside the allow-list are checked, then they pass
    destinations.validate_url("https://10.20.3.4/api")
    destinations.validate_url("https://192.168.1.20/api")
    destinations.check_address("10.1.1.1", host="sftp.corp.internal")
    # when a private address outside the allow-list is checked, then it is still refused
    with pytest.raises(destinations.DestinationError, match="private"):
        destinations.validate_url("https://10.21.0.1/api")
    # The allow-list lifts the address rule, not the https one.
    with pytest.raises(destinations.DestinationError, match="use https"):
        destinations.validate_url("http://10.20.3.4/api")


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("169.254.169.254", "metadata"),
        ("10.0.0.5", "private"),
        ("metadata.google.internal", "metadata"),
        ("sftp://files.example.com", "host name or address only"),
        ("user@files.example.com", "host name or address only"),
        ("", "required"),
    ],
)
def test_sftp_hosts_follow_the_same_policy(settings, host, reason):
    settings.SANDBOX_ENABLED = False
    with pytest.raises(destinations.DestinationError, match=reason):
        destinations.validate_host(host)
