"""Seed the four checklist templates: seed 001's deliverables by phase and seed 003's steps and workflow.

The text is ours, faithful to the seeds. The content is frozen here on purpose: a migration runs once, and
admins edit the templates afterwards in the admin. Projects copy a template when they are created.

Owner keys: CIT = customer integration team, TPA = third-party associate (broker, technology partner or
third-party administrator), PROVIDER = the payroll provider's teams. A line with two owners says whether they
act together ("and") or either one by agreement ("or").
"""

from django.db import migrations

CIT, TPA, PROVIDER = "customer_integration_team", "third_party", "provider"
DISCOVERY, IMPLEMENTATION, TESTING, MOVE, SUPPORT = (
    "discovery",
    "implementation",
    "testing",
    "move_to_production",
    "ongoing_support",
)

# (phase, section, owner, co-owner, join, responsibility, evidence kind)
# fmt: off
TEMPLATES = [
    {
        "slug": "deliverables-by-phase",
        "name": "Integration deliverables by phase",
        "integration_method": "",
        "description": (
            "Who does what at each stage of an integration project, from Discovery to Ongoing Support. "
            "Bind each owner role to a named team and contacts on the project, then print the roles and "
            "responsibilities page to confirm them with every party."
        ),
        "items": [
            (
                DISCOVERY, "", CIT, "", "",
                "Write the business case for the integration: which problem it solves and why solving it "
                "matters.",
                "",
            ),
            (
                DISCOVERY, "", CIT, TPA, "or",
                "Where the customer works with a third-party associate, the two agree pricing and how the "
                "implementation will be run before they ask the provider to start it.",
                "",
            ),
            (
                DISCOVERY, "", CIT, PROVIDER, "and",
                "Look in the provider's integration marketplace for an integration that already exists. If "
                "there is none, the customer asks its provider account executive to open talks on building a "
                "new one and to request API credentials.",
                "",
            ),
            (
                IMPLEMENTATION, "", PROVIDER, "", "",
                "Issue the API credentials to the integration contact named during Discovery.",
                "credentials_received",
            ),
            (
                IMPLEMENTATION, "", CIT, TPA, "and",
                "Agree between the customer and the third party which configuration the integration needs, "
                "and carry it out.",
                "",
            ),
            (
                TESTING, "", CIT, TPA, "and",
                "Once implementation is finished, lead everyone taking part in testing through the tests and "
                "the data validation, before anything runs in full production: the data must be accurate and "
                "the integration must work as intended.",
                "testing_validated",
            ),
            (
                MOVE, "", CIT, TPA, "and",
                "Once testing is finished, lead the move to production and watch the production feed for "
                "defects or concerns. Make sure testing and functionality were fully scoped before the feed "
                "is switched on.",
                "production_monitored",
            ),
            (
                SUPPORT, "", CIT, TPA, "or",
                "Be the first point of contact for every first-level support question about the "
                "integration (which of the two, as they agree between them).",
                "",
            ),
            (
                SUPPORT, "", PROVIDER, "", "",
                "Take troubleshooting questions and requests that the customer and third party send to the "
                "provider's web services team, and work with their support team to find the cause and a "
                "resolution. Requests go to that team only (not to other provider groups or mailing lists) "
                "and never carry personal data or company-sensitive details.",
                "",
            ),
        ],
    },
    {
        "slug": "web-api",
        "name": "Web API implementation",
        "integration_method": "web_api",
        "description": "The steps for a customer integrating through the provider's web API (seed 003).",
        "items": [
            (
                IMPLEMENTATION, "", CIT, PROVIDER, "and",
                "The customer asks the provider for API keys and authentication credentials; the provider "
                "issues them.",
                "credentials_received",
            ),
            (
                IMPLEMENTATION, "", PROVIDER, "", "",
                "If the customer wants webhooks announcing changes to employee records, the provider supplies "
                "the target URL for the messages and an HMAC secret that signs them.",
                "webhooks_configured",
            ),
            (
                IMPLEMENTATION, "", CIT, "", "",
                "The customer builds its side of the integration, guided by the provider's API documentation.",
                "",
            ),
            (
                TESTING, "", CIT, "", "",
                "Where relevant, the customer checks its data against the data extracts the provider hands "
                "over.",
                "data_audit_extract",
            ),
            (
                TESTING, "", CIT, "", "",
                "The customer runs unit tests and end-to-end tests.",
                "clean_test_sync",
            ),
            (
                MOVE, "", CIT, "", "",
                "Once the customer is satisfied with its API integration, the integration goes live.",
                "connection_live",
            ),
            (
                SUPPORT, "", CIT, "", "",
                "After go-live, the customer keeps an eye on its transaction volumes so they stay within the "
                "provider's fair-use policy.",
                "fair_use",
            ),
        ],
    },
    {
        "slug": "file-based",
        "name": "File-based transfer implementation",
        "integration_method": "file_based",
        "description": "The steps for a customer exchanging data with the provider through secure files (seed 003).",
        "items": [
            (
                IMPLEMENTATION, "", CIT, PROVIDER, "and",
                "The customer receives SFTP credentials and the standard file format from the provider.",
                "",
            ),
            (
                IMPLEMENTATION, "", CIT, PROVIDER, "and",
                "The customer and the provider set up the secure file exchange together.",
                "",
            ),
            (
                TESTING, "", CIT, "", "",
                "Where relevant, the customer checks its data against the data extracts the provider hands "
                "over.",
                "data_audit_extract",
            ),
            (
                TESTING, "", CIT, "", "",
                "The customer tests the data flows in an environment that mirrors production.",
                "clean_test_file",
            ),
            (
                MOVE, "", CIT, "", "",
                "The file is used in production and the integration counts as live.",
                "connection_live",
            ),
        ],
    },
    {
        "slug": "customer-engagement",
        "name": "Customer engagement",
        "integration_method": "",
        "description": (
            "How an integration request becomes approved work (seed 003): the existing-customer path, from "
            "discovery to a signed-off estimate, and the new-customer path through the onboarding project. "
            "Create the project with only the section that applies."
        ),
        "items": [
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: hold a high-level discovery with the customer to learn its business "
                "needs and the outcomes it expects.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: consult the business: the customer team lead and the integrations & "
                "solutions manager for fully managed customers, the integrations & solutions manager alone "
                "for SaaS and supported customers.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, CIT, "and",
                "Commercial director: meet the customer together with the provider's relevant "
                "representatives.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: ask the integrations & solutions manager for a work estimate by writing "
                "to the helpdesk address, which opens a helpdesk ticket by itself.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: keep following the request as a sales opportunity in the CRM.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Integrations & solutions manager: prepare the work estimate.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Integrations & solutions manager: have the commercial director review the estimate and give "
                "feedback.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Integrations & solutions manager: rework the estimate from that feedback (the relationship "
                "with the customer and other factors may weigh in).",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: finalise the estimate and send it to the customer.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: add a card for the request to the customer pipeline board.",
                "",
            ),
            (
                DISCOVERY, "Existing customer", PROVIDER, "", "",
                "Commercial director: once the customer signs off, assign the card to the integrations & "
                "solutions manager so that development starts.",
                "",
            ),
            (
                DISCOVERY, "New customer", PROVIDER, "", "",
                "Lead consultant of the onboarding project: run the integration inside the onboarding project "
                "when it is in scope, or through change management when it is not, and hand it to the "
                "integrations & solutions manager by assigning a card, the signal that development can begin.",
                "",
            ),
        ],
    },
]
# fmt: on


def create_templates(apps, schema_editor):
    template_model = apps.get_model("implementations", "ChecklistTemplate")
    item_model = apps.get_model("implementations", "ChecklistTemplateItem")
    for spec in TEMPLATES:
        template, created = template_model.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "description": spec["description"],
                "integration_method": spec["integration_method"],
            },
        )
        if not created:
            continue
        item_model.objects.bulk_create(
            item_model(
                template=template,
                phase=phase,
                section=section,
                order=(position + 1) * 10,
                owner_role=owner,
                co_owner_role=co_owner,
                owner_join=join,
                responsibility=text,
                evidence_kind=evidence,
            )
            for position, (phase, section, owner, co_owner, join, text, evidence) in enumerate(spec["items"])
        )


class Migration(migrations.Migration):
    dependencies = [("implementations", "0002_roles")]

    # Reversing keeps the rows (admins may have edited them, projects refer to them); running forward again
    # skips templates that already exist, so the pair is safe in both directions.
    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
