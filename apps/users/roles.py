"""The three roles and their explicit permissions.

Each role is a Django group. The permission table is the single source of truth: the data migrations of
every app call ``sync_role_permissions`` so that a new model gets its role permissions where it is created.
Letters: v = view, a = add, c = change, d = delete. ``"*"`` grants every permission of that app label.
"""

from __future__ import annotations

CONSULTANTS = "Implementation consultants"
SUPPORT = "Support agents"
ADMINS = "Admins"
ROLE_NAMES = (CONSULTANTS, SUPPORT, ADMINS)

# The app labels whose models the Admins group fully manages.
HUB_APP_LABELS = (
    "companies",
    "integrations",
    "employees",
    "mappings",
    "payroll",
    "support",
    "implementations",
    "sandbox",
)

ROLE_PERMISSIONS: dict[str, dict[str, str]] = {
    CONSULTANTS: {
        "companies.customer": "vac",
        "companies.companyset": "vac",
        "companies.company": "vac",
        "integrations.connection": "vac",
        "integrations.syncrun": "va",
        "integrations.webhookevent": "v",
        "integrations.apicall": "v",
        "integrations.fairusecrossing": "v",
        "employees.employee": "v",
        "employees.person": "v",
        "employees.statusevent": "v",
        "employees.downstreamtarget": "vac",
        "employees.downstreamaction": "v",
        "employees.changebatch": "v",
        "employees.transferwatch": "v",
        "employees.fileimport": "va",
        "mappings.statuscode": "vacd",
        "mappings.statusmapping": "vacd",
        "mappings.filterrule": "vacd",
        "payroll.payrollbatch": "v",
        "payroll.batchstatuschange": "v",
        "payroll.paygroup": "v",
        "payroll.billingvoucher": "v",
        "payroll.employeecount": "v",
        "payroll.importqueuerecord": "v",
        "payroll.notificationrule": "vacd",
        "payroll.notification": "v",
        "payroll.payrollsettings": "vac",
        "support.ticket": "v",
        "support.knowledgearticle": "v",
        "support.ticketlogentry": "v",
        "support.ticketevidence": "v",
        "support.ticketchecklistitem": "v",
        "support.escalation": "v",
        "support.diagnosticresult": "v",
        "implementations.implementationproject": "vac",
        "implementations.party": "vacd",
        "implementations.deliverable": "vac",
        "implementations.checklisttemplate": "v",
        "implementations.checklisttemplateitem": "v",
        "implementations.partycontact": "vacd",
        "implementations.deliverablechange": "v",
        "implementations.phasechange": "v",
        "implementations.extractdownload": "v",
        "audit.auditevent": "v",
        # Self-service sandbox: create a company with employees and credentials to onboard against.
        "sandbox.sandboxcompany": "va",
        "sandbox.sandboxstatuscode": "v",
    },
    SUPPORT: {
        "companies.customer": "v",
        "companies.companyset": "v",
        "companies.company": "v",
        "integrations.connection": "v",
        "integrations.syncrun": "va",
        "integrations.webhookevent": "vc",
        "integrations.apicall": "v",
        "integrations.fairusecrossing": "v",
        "employees.employee": "v",
        "employees.person": "v",
        "employees.statusevent": "v",
        "employees.downstreamaction": "vc",
        "employees.downstreamtarget": "v",
        "employees.changebatch": "v",
        "employees.transferwatch": "v",
        "employees.fileimport": "v",
        "mappings.statuscode": "v",
        "mappings.statusmapping": "v",
        "mappings.filterrule": "v",
        "payroll.payrollbatch": "v",
        "payroll.importqueuerecord": "vc",
        "payroll.batchstatuschange": "v",
        "payroll.paygroup": "v",
        "payroll.billingvoucher": "v",
        "payroll.employeecount": "v",
        "payroll.notificationrule": "v",
        "payroll.notification": "v",
        "payroll.payrollsettings": "v",
        "support.ticket": "vac",
        "support.escalation": "vac",
        "support.knowledgearticle": "vac",
        "support.ticketlogentry": "va",
        "support.ticketevidence": "vad",
        "support.ticketchecklistitem": "vc",
        "support.diagnosticresult": "va",
        "support.supportsettings": "v",
        "implementations.implementationproject": "v",
        "implementations.deliverable": "v",
        "implementations.party": "v",
        "implementations.partycontact": "v",
        "implementations.deliverablechange": "v",
        "implementations.phasechange": "v",
        "implementations.checklisttemplate": "v",
        "implementations.checklisttemplateitem": "v",
        "implementations.extractdownload": "v",
        "audit.auditevent": "v",
    },
    ADMINS: {label: "*" for label in HUB_APP_LABELS}
    | {"users.user": "v", "authtoken.token": "vacd", "audit.auditevent": "v", "axes.accessattempt": "vd"}
    | {"axes.accesslog": "v", "axes.accessfailurelog": "v"},
}

_CODENAME_PREFIX = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def permission_codenames(role: str) -> dict[str, set[str] | str]:
    """Return ``{app_label: set of codenames or "*"}`` for one role."""
    result: dict[str, set[str] | str] = {}
    for target, letters in ROLE_PERMISSIONS[role].items():
        if letters == "*":
            result[target] = "*"
            continue
        app_label, model = target.split(".")
        bucket = result.setdefault(app_label, set())
        if bucket == "*":
            continue
        bucket.update(f"{_CODENAME_PREFIX[letter]}_{model}" for letter in letters)
    return result


def sync_role_permissions(apps, schema_editor=None) -> None:
    """Create the role groups and grant exactly the table's permissions that exist so far (idempotent).

    Usable from data migrations (historical ``apps``) and from code (``django.apps.apps``). Permissions of
    models that do not exist yet are skipped; the migration that creates those models calls this again.
    """
    # App loading: auth.management imports models.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ROLE_NAMES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for app_label, codenames in permission_codenames(role).items():
            qs = permission_model.objects.filter(content_type__app_label=app_label)
            if codenames != "*":
                qs = qs.filter(codename__in=codenames)
            wanted.extend(qs)
        group.permissions.set(wanted)


def unsync_role_permissions(apps, schema_editor=None) -> None:
    """Reverse of the first role migration: remove the groups."""
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()
