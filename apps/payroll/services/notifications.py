"""Notifications of batch status changes (seed 004: "notification and workflow events are triggered").

Rules name status codes and who hears: users of role groups (in-app, and email when they have an address)
and plain addresses (email). Only users who may see the batch's customer are notified. Emails leave after
the transaction commits, through a task, so a rolled-back change sends nothing.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.users.models import User
from apps.users.roles import ADMINS

from ..models import BatchStatusChange, Notification, NotificationRule, PayrollBatch

logger = logging.getLogger(__name__)


def _enqueue_emails(ids: list[int]) -> None:
    from django_q.tasks import async_task  # at call time: tests patch django_q.tasks

    for notification_id in ids:
        async_task("apps.payroll.tasks.notification_send_task", notification_id, group="payroll-mail")


def _recipients(rule: NotificationRule, customer) -> list[User]:
    """Active users of the rule's groups who may see the customer."""
    group_ids = [g.pk for g in rule.groups.all()]
    if not group_ids:
        return []
    sees = Q(is_superuser=True) | Q(all_customers=True) | Q(groups__name=ADMINS) | Q(customers=customer)
    return list(
        User.objects.filter(is_active=True, groups__in=group_ids).filter(sees).distinct().order_by("pk")
    )


def _text(batch: PayrollBatch, change: BatchStatusChange) -> tuple[str, str]:
    company = batch.company
    subject = f"Payroll batch {batch.batch_id} of {company.external_id}: {change.to_status}"[:200]
    before = f"{change.from_status} ({change.from_code})" if change.from_code else "new"
    body = (
        f"Payroll batch {batch.batch_id} of client {company.external_id} {company.name}\n"
        f"Status: {change.to_status} ({change.to_code}), before: {before}\n"
        f"Pay date: {batch.pay_date or 'none'}\n"
        f"Changed at: {change.changed_at:%Y-%m-%d %H:%M} UTC"
    )
    return subject, body


@transaction.atomic
def notifications_raise(*, change: BatchStatusChange) -> list[Notification]:
    """Write the notifications the configured rules ask for; queue the emails for after the commit."""
    batch = change.batch
    customer = batch.company.company_set.customer
    rules = [
        rule
        for rule in NotificationRule.objects.filter(active=True)
        .filter(Q(customer=customer) | Q(customer__isnull=True))
        .prefetch_related("groups")
        if rule.matches(change.to_code)
    ]
    if not rules:
        return []
    subject, body = _text(batch, change)
    made: list[Notification] = []
    seen_users: set[int] = set()
    seen_addresses: set[str] = set()
    for rule in rules:
        users = _recipients(rule, customer)
        for user in users:
            if rule.in_app and user.pk not in seen_users:
                seen_users.add(user.pk)
                made.append(
                    Notification(
                        rule=rule,
                        batch=batch,
                        status_change=change,
                        channel=Notification.Channel.IN_APP,
                        recipient=user,
                        subject=subject,
                        body=body,
                    )
                )
        if not rule.email:
            continue
        addresses = [(u, u.email) for u in users if u.email] + [(None, a) for a in rule.addresses]
        for user, address in addresses:
            if address.lower() in seen_addresses:
                continue
            seen_addresses.add(address.lower())
            made.append(
                Notification(
                    rule=rule,
                    batch=batch,
                    status_change=change,
                    channel=Notification.Channel.EMAIL,
                    recipient=user,
                    email_address=address,
                    subject=subject,
                    body=body,
                )
            )
    Notification.objects.bulk_create(made)
    emails = [n.pk for n in made if n.channel == Notification.Channel.EMAIL]
    if emails:
        transaction.on_commit(lambda: _enqueue_emails(emails))
    return made


def notification_send(*, notification_id: int) -> Notification | None:
    """Send one email notification (once: a sent one is not sent again); record the outcome."""
    claimed = Notification.objects.filter(
        pk=notification_id, channel=Notification.Channel.EMAIL, sent_at__isnull=True
    ).update(sent_at=timezone.now(), error="")
    if not claimed:
        return None
    notification = Notification.objects.get(pk=notification_id)
    try:
        send_mail(
            notification.subject,
            notification.body,
            None,
            [notification.email_address],
            fail_silently=False,
        )
    except Exception as exc:  # an SMTP failure must not lose the record: keep it, unsent, with the reason
        logger.warning("payroll notification %s not sent: %s", notification_id, exc)
        Notification.objects.filter(pk=notification_id).update(sent_at=None, error=str(exc)[:300])
    notification.refresh_from_db()
    return notification


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's in-app notifications read (all unread ones, or the given IDs); return how many."""
    rows = Notification.objects.filter(
        recipient=user, channel=Notification.Channel.IN_APP, read_at__isnull=True
    )
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


RULE_FIELDS = ("customer", "name", "status_codes", "email_addresses", "in_app", "email", "active")


@transaction.atomic
def notification_rule_save(
    *, rule: NotificationRule | None = None, groups=None, acting_user=None, **values
) -> NotificationRule:
    """Create a rule, or change the given one (only the fields passed)."""
    rule = rule or NotificationRule()
    for name, value in values.items():
        if name not in RULE_FIELDS:
            raise ValueError(f"Unknown notification rule field {name!r}")
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()
    if groups is not None:
        rule.groups.set(groups)
    return rule


@transaction.atomic
def notification_rule_delete(*, rule: NotificationRule, acting_user=None) -> None:
    """Delete a rule; the notifications it raised stay (their rule becomes empty)."""
    rule.delete()
