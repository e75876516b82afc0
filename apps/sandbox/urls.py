"""``/sandbox/``: the three emulated providers at their real paths, and the control API under ``api/``.

Included by ``config/urls.py`` only when ``SANDBOX_ENABLED`` (off in production settings).
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api
from .views import affinity, paylocity, prismhr

app_name = "sandbox"

router = DefaultRouter()
router.register("companies", api.CompanyViewSet, basename="sandbox-company")
router.register("employees", api.EmployeeViewSet, basename="sandbox-employee")
router.register("webhook-deliveries", api.DeliveryViewSet, basename="sandbox-delivery")
router.register("batches", api.BatchViewSet, basename="sandbox-batch")

PAYLOCITY = "paylocity/"
PRISM = "prismhr/prismhr-api/services/rest/"
AFFINITY = "affinity/"

urlpatterns = [
    # Paylocity WebLink
    path(f"{PAYLOCITY}IdentityServer/connect/token", paylocity.token, name="paylocity-token"),
    path(
        f"{PAYLOCITY}api/v2/companies/<str:company_id>/employees",
        paylocity.employees,
        name="paylocity-employees",
    ),
    path(
        f"{PAYLOCITY}api/v2/companies/<str:company_id>/employees/<str:employee_id>",
        paylocity.employee,
        name="paylocity-employee",
    ),
    # PrismHR
    path(f"{PRISM}login/v1/createPeoSession", prismhr.create_peo_session, name="prismhr-login"),
    path(f"{PRISM}employee/v1/getEmployeeList", prismhr.get_employee_list, name="prismhr-employee-list"),
    path(f"{PRISM}employee/v1/getEmployee", prismhr.get_employee, name="prismhr-employee"),
    path(f"{PRISM}clientMaster/v1/getClientList", prismhr.get_client_list, name="prismhr-client-list"),
    path(f"{PRISM}clientMaster/v1/getClientCodes", prismhr.get_client_codes, name="prismhr-client-codes"),
    path(f"{PRISM}subscription/v1/getNewEvents", prismhr.get_new_events, name="prismhr-new-events"),
    path(f"{PRISM}payroll/v1/getBatchListByDate", prismhr.get_batch_list_by_date, name="prismhr-batch-list"),
    path(f"{PRISM}payroll/v1/getBatchStatus", prismhr.get_batch_status, name="prismhr-batch-status"),
    path(f"{PRISM}payroll/v1/getBatchInfo", prismhr.get_batch_info, name="prismhr-batch-info"),
    path(
        f"{PRISM}payroll/v1/getBillingCodeTotalsForBatch",
        prismhr.get_billing_code_totals_for_batch,
        name="prismhr-billing-totals",
    ),
    path(
        f"{PRISM}payroll/v1/getBillingVouchersByBatch",
        prismhr.get_billing_vouchers_by_batch,
        name="prismhr-billing-vouchers",
    ),
    path(
        f"{PRISM}payroll/v1/getPayrollVoucherForBatch",
        prismhr.get_payroll_voucher_for_batch,
        name="prismhr-payroll-vouchers",
    ),
    # Affinity Payroll (our design)
    path(f"{AFFINITY}oauth/token", affinity.token, name="affinity-token"),
    path(
        f"{AFFINITY}v1/companies/<str:company_code>/employees", affinity.employees, name="affinity-employees"
    ),
    path(
        f"{AFFINITY}v1/companies/<str:company_code>/employees/<str:employee_id>",
        affinity.employee,
        name="affinity-employee",
    ),
    # Controls
    path("api/", include(router.urls)),
]
