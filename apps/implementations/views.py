"""Server-rendered pages: the printable roles-and-responsibilities page of a project."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from . import selectors


@staff_member_required
def project_roles(request, pk: int):
    """Show who does what in each phase of one project, by team name and contact (seed 001's table, filled in).

    Staff only; the project must be of a customer the user may see (404 otherwise), and reading it needs the
    project view permission.
    """
    project = get_object_or_404(selectors.projects_for(request.user), pk=pk)
    if not request.user.has_perm("implementations.view_implementationproject"):
        raise PermissionDenied
    parties = selectors.parties_by_role(project)
    context = {
        **admin.site.each_context(request),
        "title": f"Roles and responsibilities: {project.name}",
        "project": project,
        "phases": selectors.roles_and_responsibilities(project),
        "parties": [parties[role] for role in sorted(parties)],
        "connections": list(project.connections.all()),
    }
    return TemplateResponse(request, "implementations/roles.html", context)
