"""The webhook receiver's short stack: ``/webhooks/<uuid>/`` skips every middleware after this one.

A provider's delivery needs none of them: no session, no signed-in user, no messages, no CSRF (machine
clients, signature-checked), no audit request context (the receiver changes nothing audited), no static
files, no sign-in lockout. Placed right after ``SecurityMiddleware``, so the security headers (HSTS,
``nosniff``, referrer and opener policies) and the HTTPS redirect still apply; ``X-Frame-Options: DENY`` is
set here as the clickjacking middleware would. Anything under ``/webhooks/`` that is not the receiver's URL
(a missing slash, a malformed UUID) goes through the whole stack as before.
"""

from __future__ import annotations

from django.urls import Resolver404, resolve

WEBHOOK_PREFIX = "/webhooks/"
WEBHOOK_VIEW_NAME = "integrations:webhook-receive"


class WebhookShortStackMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(WEBHOOK_PREFIX):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if match.view_name != WEBHOOK_VIEW_NAME:
            return self.get_response(request)
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        if "X-Frame-Options" not in response:
            response["X-Frame-Options"] = "DENY"
        return response
