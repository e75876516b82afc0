from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.audit.metrics import metrics_view
from apps.core.views import favicon, healthz
from apps.users.forms import HubAuthenticationForm

admin.site.site_header = "Payroll Integration Hub"
admin.site.site_title = "Payroll Integration Hub"
admin.site.index_title = "Workbench"
admin.site.login_form = HubAuthenticationForm  # says when a right password meets a user without staff status

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus; bearer token (METRICS_TOKEN) required
    path("admin/", include("apps.dashboard.admin_urls")),  # the dashboard replaces the admin index
    path("admin/", include("apps.audit.urls")),  # the per-customer Activity page
    path("admin/", admin.site.urls),
    path("hub/", include("apps.dashboard.urls")),
    path("api/v1/", include("config.api_urls")),
    path("webhooks/", include("apps.integrations.urls")),
    path("implementations/", include("apps.implementations.urls")),
    path("payroll/", include("apps.payroll.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

# The provider sandbox (apps/sandbox): off in production settings.
if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("apps.sandbox.urls")))
