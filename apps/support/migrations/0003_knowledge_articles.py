"""Seed one primary knowledge article per Level 1 category, each with its troubleshooting checklist.

Written for this hub in our own words. Staff edit them in the admin afterwards; the reverse removes only the
articles this migration created (matched by title) if nobody has edited them since.
"""

from django.db import migrations

ARTICLES = [
    {
        "category": "feed_pull",
        "title": "Wrong data in what we pulled from the provider",
        "body": (
            "Symptom: an employee in the hub shows a value (status, date, pay group, benefit class...) that the "
            "customer says is wrong, and the value came from a provider read (full sync or a GET after a "
            "webhook).\n\n"
            'Start by finding out who is right. Run "check this employee now" on the ticket: it asks the '
            "provider again and puts the provider's answer next to ours. If the provider itself returns the "
            "wrong value, the fix belongs in the provider system and is made by the customer's payroll team; "
            "tell them which field and which employee. If the provider returns the right value and we still "
            "show the old one, look at the last sync run and the employee's status history: a failed or "
            "partial run, a held event (unmapped code) or a future-dated change are the usual reasons.\n\n"
            "Escalate to the provider only when its API returns data that differs from what the customer sees "
            "in the provider's own screens, and you can show the request and the response time."
        ),
        "checklist": [
            'Run "check this employee now" and compare the provider\'s record with ours',
            "Confirm with the customer which value is right and where they see it in the provider system",
            "Check the last sync run of the connection for errors or a partial result",
            "Look at the employee's status history for held, future-dated or retro-active events",
            "If the provider returns the wrong value, ask the customer's payroll team to correct it there",
            "If the API disagrees with the provider's own screens, attach the API call and escalate",
        ],
    },
    {
        "category": "feed_push",
        "title": "Wrong data in the provider after a push from another system",
        "body": (
            "Symptom: a value in the provider is wrong, and it got there from a system that writes into the "
            "provider (an onboarding tool, a time system, a file import).\n\n"
            "As the integration owner we are responsible for the lookup values and the relationships between "
            "elements that the push relies on. Find the record that was sent, compare every coded value with "
            "the provider's current code lists for that company, and check that the values belong together "
            "(for example a pay group that exists in the company the employee is in). Most problems are a "
            "code that exists in one company ID but not in another, or a value that was renamed in the "
            "provider after the mapping was agreed.\n\n"
            "Escalate only when a correct, accepted push is stored differently by the provider."
        ),
        "checklist": [
            "Identify the pushing system, the time of the push and the employee and company IDs",
            "Compare each coded value sent with the provider's code list for that company",
            "Check that related values belong together (pay group, benefit class, company)",
            "Correct the lookup or mapping on our side and re-send if the values were wrong",
            "If a correct push was stored differently, attach the request and escalate",
        ],
    },
    {
        "category": "record_filtering",
        "title": "An employee is in scope when they should not be, or the other way round",
        "body": (
            "Symptom: the downstream system received (or did not receive) an employee the customer expected "
            "the other way.\n\n"
            "Whether a record drives anything is decided by the filter rules of its company set: employment "
            "type, status type, benefit class, company and pay group. The employee page shows whether the "
            "record is in scope and which rule decided it. Compare the rule with the employee's current "
            "values (from a fresh provider read, not memory) and with what the customer asked for when the "
            "filters were agreed. Changing a filter affects every employee of the set, so confirm the change "
            "in writing with the customer first.\n\n"
            "This is Level 1 work: the provider does not decide our filters."
        ),
        "checklist": [
            "Open the employee and note whether it is in scope and the rule that decided it",
            "Refresh the employee from the provider and check the filtered fields",
            "Compare with the filter rules agreed with the customer",
            "Agree any change to the rules with the customer in writing before making it",
            "Re-check the employee after the rule change",
        ],
    },
    {
        "category": "multiple_companies",
        "title": "Employees moving between company IDs (transfers)",
        "body": (
            "Symptom: an employee appears twice, lost access after moving to another company ID, or kept "
            "access they should have lost.\n\n"
            "A customer with several company IDs in one company set can move people between them. The old "
            "record ends with a transfer code and a new record starts in the other company. The hub links "
            "both records to one person and decides on the person: a transfer out waits for the matching "
            "hire during the customer's grace window before anything is removed. Check the person the "
            "records belong to and why they were linked (same employee ID in the set, identity key or work "
            "email). A missing link usually means the new record has a different employee ID and no shared "
            "identity data yet.\n\n"
            "Escalate only if the provider reports a transfer that its own screens do not show."
        ),
        "checklist": [
            "List every record of the person across the company set",
            "Check why the records are linked to one person (or why they are not)",
            "Look for an open transfer watch and its grace window",
            "Confirm with the customer which company ID the employee belongs to now",
            "Check the downstream actions of the person for the transfer",
        ],
    },
    {
        "category": "effective_date",
        "title": "Effective dates versus check dates",
        "body": (
            "Symptom: a change took effect on a different day than the customer expected, often around a "
            "payroll run.\n\n"
            "Status changes carry an effective date; payroll runs have a begin check date and a pay date. A "
            "change entered after a run may be dated back (retro-active) or ahead (future-dated). The hub "
            "applies a future-dated change on its date and recomputes the past for a retro-active one, "
            "flagging it. Read the employee's status history: effective date, recorded time, source. Then "
            "compare with the customer's check-processing calendar to see which run the change should have "
            "fallen into.\n\n"
            "This is usually a matter of explaining the dating to the customer, not a provider problem."
        ),
        "checklist": [
            "Read the employee's status history: effective date, recorded time and source of each event",
            "Note whether the change was future-dated or retro-active",
            "Compare with the customer's payroll calendar (begin check date, pay date)",
            "Explain to the customer which run the change falls into",
        ],
    },
    {
        "category": "webhook",
        "title": "Webhooks: which ones we act on, and why the GET decides",
        "body": (
            "Symptom: a change announced by a webhook did not happen, happened late, or a webhook seems to "
            "have been ignored.\n\n"
            "We never act on a webhook alone. Each verified hook is stored, acknowledged, and a worker then "
            "reads the company ID and employee ID from it and fetches the employee with a GET; only what the "
            "GET returns is applied. Each connection also chooses which event types to digest and may gather "
            "repeated hooks for one employee into one GET. So check, in order: did the hook arrive (webhook "
            "events of the connection), was it digested or ignored by type, was it coalesced, what did the "
            "confirming GET return, and did it disagree with the hook.\n\n"
            "A hook that keeps disagreeing with the GET, or hooks that never arrive for changes made in the "
            "provider, are worth escalating with the event times and the GET's request URI."
        ),
        "checklist": [
            "Find the webhook event for the employee and its state (processed, ignored, coalesced, dead)",
            "Check the connection's digested event types and coalescing window",
            "Look at the confirming GET: its time, status and what it returned",
            "Note any disagreement between the hook and the GET",
            "If hooks are missing or keep disagreeing, attach the events and API calls and escalate",
        ],
    },
    {
        "category": "mapping_needed",
        "title": "A status code has no mapping",
        "body": (
            'Symptom: the system opened a "mapping needed" ticket; employees with that code are held.\n\n'
            "Customers can create their own status codes in the provider. Until such a code is mapped to "
            "active, leave or terminated for the company set, the hub records every event with it but makes "
            "no decision: guessing could remove someone's access by mistake. Ask the customer what the code "
            "means, map it (per company set, or per company where they differ), and preview what the mapping "
            "will release before saving it. The held events are then applied in order."
        ),
        "checklist": [
            "Ask the customer what the new code means and whether it differs by company",
            "Preview the mapping to see which held employees it releases",
            "Save the mapping for the company set (or the company)",
            "Check that the held employees were released and their decisions made",
        ],
    },
    {
        "category": "payroll_import",
        "title": "A payroll batch did not import",
        "body": (
            "Symptom: a payroll batch has an import state of failed, or the system opened a payroll import "
            "ticket.\n\n"
            "The import records why it stopped: the batch is not complete yet, it has no pay date, no "
            "billing-code totals, no vouchers, or an unknown client number. Most of these resolve themselves "
            "when the provider finishes the batch; an unknown client number means a company is missing from "
            "the hub. A deleted batch is deactivated with its pay groups and vouchers; a voided batch is "
            "rebuilt so that it nets the original to zero."
        ),
        "checklist": [
            "Read the import message of the batch",
            "Check the batch status at the provider (complete, pay date, vouchers)",
            "For an unknown client number, add the company to the right company set",
            "Re-run the payroll sync for the company once the cause is fixed",
        ],
    },
    {
        "category": "connection",
        "title": "A connection cannot authenticate or is paused",
        "body": (
            "Symptom: syncs fail, calls are paused (circuit open), or the client secret is about to expire.\n\n"
            "Test the connection from its page: it authenticates now and shows the error. Expired or rotated "
            "secrets are the usual cause; Paylocity secrets expire yearly. A circuit opens after repeated "
            "failures and lets one probe through after a cooldown, so a fixed problem clears by itself. "
            "Ask the customer for new credentials through a secure channel, never by plain e-mail."
        ),
        "checklist": [
            "Test the connection and read the authentication error",
            "Check the secret's expiry date and whether it was rotated at the provider",
            "Obtain new credentials from the customer through a secure channel",
            "Store the new secret and test again",
            "Confirm the next sync succeeds and the circuit is closed",
        ],
    },
    {
        "category": "fair_use",
        "title": "Fair use: too many calls",
        "body": (
            "Symptom: the provider answers with rate-limit errors, or the system recorded that a connection "
            "crossed its hourly or daily fair-use threshold.\n\n"
            "Find what made the calls: a full sync instead of a routine one, repeated syncs, or a burst of "
            "webhooks each triggering a GET. Routine syncs fetch details only for employees whose status "
            "changed, and coalescing gathers repeated hooks; both keep volumes down. Reduce the cause before "
            "asking the provider for more room."
        ),
        "checklist": [
            "Look at the API calls of the connection in the period that crossed the threshold",
            "Find the sync runs or webhook bursts that produced them",
            "Prefer routine syncs and enable webhook coalescing where appropriate",
            "Watch the next period stay under the threshold",
        ],
    },
    {
        "category": "other",
        "title": "Other concerns: gathering what Level 2 needs",
        "body": (
            "When a concern fits no category, collect the same facts anyway: what the customer expected and "
            "what happened, the company and employee IDs, the time it happened, and the requests involved. "
            "Link the API calls, sync runs, webhook events and downstream actions as evidence; the escalation "
            "draft is built from them and leaves personal data out."
        ),
        "checklist": [
            "Write down the expected and the actual result",
            "Link the company and employee IDs concerned",
            "Attach the API calls, sync runs or events that show the problem",
            "Record what the customer's team already tried",
        ],
    },
]


def create_articles(apps, schema_editor):
    article_model = apps.get_model("support", "KnowledgeArticle")
    for data in ARTICLES:
        if article_model.objects.filter(category=data["category"], primary=True).exists():
            continue
        article_model.objects.create(primary=True, published=True, **data)


def remove_articles(apps, schema_editor):
    article_model = apps.get_model("support", "KnowledgeArticle")
    for data in ARTICLES:
        article_model.objects.filter(
            category=data["category"], title=data["title"], body=data["body"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0002_role_permissions")]
    operations = [migrations.RunPython(create_articles, remove_articles)]
