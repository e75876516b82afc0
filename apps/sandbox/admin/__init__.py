"""The sandbox in the admin: companies with fault switches, employees with a controls page, batches, hooks.

Status fields are never edited raw: every change goes through a control (a service) that records the change
and sends the provider's webhook. Sandbox rows belong to no customer, so no customer scoping applies.

One module per section (importing them registers them): ``companies`` (with ``provision``, the self-service
page), ``employees``, ``hooks``, ``payroll``; ``common`` holds what they share.
"""

from . import companies, employees, hooks, payroll

__all__ = ["companies", "employees", "hooks", "payroll"]
