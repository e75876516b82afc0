"""What several admin pages share: the link to an action's cause."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ..models import (
    CauseType,
    DownstreamAction,
)

# Where each kind of cause can be opened in the admin; ``cause_id`` holds that object's pk (an approval's is the
# change batch, a policy change's the downstream target). A schedule's cause id is the schedule's name, and a
# manual cause has no page of its own.
CAUSE_ADMIN_URLS = {
    CauseType.SYNC_RUN: "admin:integrations_syncrun_change",
    CauseType.WEBHOOK_EVENT: "admin:integrations_webhookevent_change",
    CauseType.FILE_IMPORT: "admin:employees_fileimport_change",
    CauseType.APPROVAL: "admin:employees_changebatch_change",
    CauseType.MAPPING: "admin:mappings_statusmapping_change",
    CauseType.FILTER_RULE: "admin:mappings_filterrule_change",
    CauseType.POLICY: "admin:employees_downstreamtarget_change",
}


def cause_html(action: DownstreamAction):
    """The action's cause in words ("Sync run 12"), linked to the cause's admin page where it has one."""
    label = CauseType(action.cause_type).label if action.cause_type in CauseType.values else action.cause_type
    text = f"{label} {action.cause_id}".strip()
    url_name = CAUSE_ADMIN_URLS.get(action.cause_type)
    if url_name and action.cause_id.isdigit():
        try:
            return format_html('<a href="{}">{}</a>', reverse(url_name, args=[action.cause_id]), text)
        except NoReverseMatch:  # pragma: no cover - every target above has an admin
            pass
    return text
