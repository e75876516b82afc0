"""The /api/v1/ router: every app registers its viewsets here."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from apps.audit.api import AuditEventViewSet
from apps.companies.api import CompanySetViewSet, CompanyViewSet, CustomerViewSet
from apps.employees.api import (
    ChangeBatchViewSet,
    DownstreamActionViewSet,
    DownstreamTargetViewSet,
    EmployeeViewSet,
    PersonViewSet,
    StatusEventViewSet,
)
from apps.employees.api_mappings import FilterRuleViewSet, StatusCodeViewSet, StatusMappingViewSet
from apps.implementations.api import DeliverableViewSet, ImplementationProjectViewSet
from apps.integrations.api import ApiCallViewSet, ConnectionViewSet, SyncRunViewSet, WebhookEventViewSet
from apps.payroll.api import (
    BillingVoucherViewSet,
    EmployeeCountViewSet,
    ImportQueueRecordViewSet,
    NotificationRuleViewSet,
    NotificationViewSet,
    PayGroupViewSet,
    PayrollBatchViewSet,
)
from apps.support.api import KnowledgeArticleViewSet, TicketViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("company-sets", CompanySetViewSet, basename="company-set")
router.register("companies", CompanyViewSet, basename="company")
router.register("connections", ConnectionViewSet, basename="connection")
router.register("sync-runs", SyncRunViewSet, basename="sync-run")
router.register("webhook-events", WebhookEventViewSet, basename="webhook-event")
router.register("api-calls", ApiCallViewSet, basename="api-call")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("persons", PersonViewSet, basename="person")
router.register("status-events", StatusEventViewSet, basename="status-event")
router.register("status-codes", StatusCodeViewSet, basename="status-code")
router.register("status-mappings", StatusMappingViewSet, basename="status-mapping")
router.register("filter-rules", FilterRuleViewSet, basename="filter-rule")
router.register("downstream-actions", DownstreamActionViewSet, basename="downstream-action")
router.register("change-batches", ChangeBatchViewSet, basename="change-batch")
router.register("downstream-targets", DownstreamTargetViewSet, basename="downstream-target")
router.register("implementations", ImplementationProjectViewSet, basename="implementation")
router.register(
    r"implementations/(?P<project_pk>\d+)/deliverables",
    DeliverableViewSet,
    basename="implementation-deliverable",
)
router.register("tickets", TicketViewSet, basename="ticket")
router.register("knowledge-articles", KnowledgeArticleViewSet, basename="knowledge-article")
router.register("payroll-batches", PayrollBatchViewSet, basename="payroll-batch")
router.register("pay-groups", PayGroupViewSet, basename="pay-group")
router.register("billing-vouchers", BillingVoucherViewSet, basename="billing-voucher")
router.register("employee-counts", EmployeeCountViewSet, basename="employee-count")
router.register("import-queue", ImportQueueRecordViewSet, basename="import-queue-record")
router.register("payroll-notification-rules", NotificationRuleViewSet, basename="payroll-notification-rule")
router.register("payroll-notifications", NotificationViewSet, basename="payroll-notification")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
