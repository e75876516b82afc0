from __future__ import annotations

from django.apps import AppConfig

from apps.core import problems


def connection_problem_ticket(problem: problems.Problem):
    """Turn a connection's reported problem (credentials refused, circuit opened) into its automatic ticket."""
    from . import services  # models load only once the app registry is ready

    raisers = {
        "connection-auth": services.ticket_raise_for_auth_failure,
        "circuit-open": services.ticket_raise_for_circuit_open,
    }
    try:
        raise_ticket = raisers[problem.kind]
    except KeyError:
        raise ValueError(
            f"No ticket is defined for problems of kind {problem.kind!r} ({problem.key})."
        ) from None
    return raise_ticket(connection=problem.connection, message=problem.detail, evidence=problem.evidence)


class SupportConfig(AppConfig):
    name = "apps.support"
    label = "support"
    verbose_name = "Support desk"

    def ready(self) -> None:
        problems.subscribe(on_problem=connection_problem_ticket)
