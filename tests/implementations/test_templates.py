"""The checklist templates seeded by the data migration, against the seeds' tables."""

from __future__ import annotations

import pytest

from apps.implementations.models import ChecklistTemplate

pytestmark = pytest.mark.django_db


def _rows(slug):
    template = ChecklistTemplate.objects.get(slug=slug)
    return [(item.phase, item.owner_key, item.evidence_kind) for item in template.items.all()]


def test_deliverables_by_phase_has_every_row_of_seed_001_with_its_owners():
    # given the deliverables-by-phase template seeded by the data migration
    # Seed 001's table, row by row: stage and owner (PCTY = the provider).
    # then the template is that table, line for line
    assert [(phase, owner) for phase, owner, _ in _rows("deliverables-by-phase")] == [
        ("discovery", "CIT"),
        ("discovery", "CIT or TPA"),
        ("discovery", "CIT & Provider"),
        ("implementation", "Provider"),
        ("implementation", "CIT & TPA"),
        ("testing", "CIT & TPA"),
        ("move_to_production", "CIT & TPA"),
        ("ongoing_support", "CIT or TPA"),
        ("ongoing_support", "Provider"),
    ]


def test_deliverables_by_phase_links_the_evidence_the_system_holds():
    # given the deliverables-by-phase template seeded by the data migration
    evidence = {(phase, owner): kind for phase, owner, kind in _rows("deliverables-by-phase") if kind}
    # then exactly the three lines the hub can prove carry an evidence kind
    assert evidence == {
        ("implementation", "Provider"): "credentials_received",
        ("testing", "CIT & TPA"): "testing_validated",
        ("move_to_production", "CIT & TPA"): "production_monitored",
    }


def test_web_api_template_has_seed_003s_seven_steps_in_phase_order():
    # given the web API template seeded by the data migration
    # then its seven steps follow seed 003 in phase order with their evidence, and it is marked as web API
    assert _rows("web-api") == [
        ("implementation", "CIT & Provider", "credentials_received"),
        ("implementation", "Provider", "webhooks_configured"),
        ("implementation", "CIT", ""),
        ("testing", "CIT", "data_audit_extract"),
        ("testing", "CIT", "clean_test_sync"),
        ("move_to_production", "CIT", "connection_live"),
        ("ongoing_support", "CIT", "fair_use"),
    ]
    assert ChecklistTemplate.objects.get(slug="web-api").integration_method == "web_api"


def test_file_based_template_has_seed_003s_five_steps():
    # given the file-based template seeded by the data migration
    # then its five steps follow seed 003, and it is marked as file-based
    assert [(phase, owner) for phase, owner, _ in _rows("file-based")] == [
        ("implementation", "CIT & Provider"),
        ("implementation", "CIT & Provider"),
        ("testing", "CIT"),
        ("testing", "CIT"),
        ("move_to_production", "CIT"),
    ]
    assert ChecklistTemplate.objects.get(slug="file-based").integration_method == "file_based"


def test_customer_engagement_has_the_existing_and_the_new_customer_paths():
    # given the customer engagement template seeded by the data migration
    template = ChecklistTemplate.objects.get(slug="customer-engagement")
    sections = [item.section for item in template.items.all()]
    # then it holds eleven existing-customer lines and one new-customer line, all in discovery
    assert sections.count("Existing customer") == 11
    assert sections.count("New customer") == 1
    assert {item.phase for item in template.items.all()} == {"discovery"}
    texts = [item.responsibility for item in template.items.all()]
    assert texts[0].startswith("Commercial director")
    assert any(t.startswith("Integrations & solutions manager") for t in texts)


def test_template_lines_are_in_our_own_words():
    # The seed's sentences are not copied verbatim.
    # given sentences from the seed documents
    seed_sentences = [
        "Create integration business case; what are you trying to solve and why.",
        "Paylocity will provide API credentials to your integration team contact identified in the previous step.",
        "The customer performs unit and end-to-end testing.",
        "The customer obtains SFTP credentials and standard file format information from us.",
    ]
    # when every template line is read
    texts = " ".join(
        item.responsibility for template in ChecklistTemplate.objects.all() for item in template.items.all()
    )
    # then none of the sentences appears word for word
    for sentence in seed_sentences:
        assert sentence not in texts
