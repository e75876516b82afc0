"""REST API for implementation projects, their deliverables, phase moves and the data-audit extract."""

from __future__ import annotations

import django_filters
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.models import Customer
from apps.companies.scoping import CustomerScopedMixin
from apps.companies.selectors import customers_visible_to, scope_to_user
from apps.core.api import ActionPermission, StrictInputMixin
from apps.core.exports import SafeWriter
from apps.integrations.models import Connection

from . import selectors, services
from .models import ChecklistTemplate, Deliverable, ImplementationProject, IntegrationMethod, PhaseChange
from .phases import OwnerJoin, OwnerRole, owner_label

PHASES_HELP = "discovery, implementation, testing, move_to_production or ongoing_support"
STATES_HELP = "active, on_hold or closed"


class ProgressSerializer(serializers.Serializer):
    phase = serializers.CharField()
    label = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class ProjectSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    connections = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    progress = serializers.SerializerMethodField(help_text="Done / total deliverables per phase.")
    state = serializers.CharField(read_only=True, help_text=STATES_HELP)

    class Meta:
        model = ImplementationProject
        fields = [
            "id",
            "customer",
            "name",
            "template",
            "integration_method",
            "phase",
            "state",
            "target_go_live",
            "connections",
            "notes",
            "progress",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer(many=True))
    def get_progress(self, obj: ImplementationProject) -> list[dict]:
        return selectors.progress_of(obj)


class _VisibleConnections(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return scope_to_user(Connection.objects.all(), self.context["request"].user)


class ProjectCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    name = serializers.CharField(max_length=200)
    template = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ChecklistTemplate.objects.filter(active=True),
        help_text="deliverables-by-phase, web-api, file-based or customer-engagement.",
    )
    integration_method = serializers.ChoiceField(
        choices=IntegrationMethod.choices, required=False, help_text="Defaults to the template's method."
    )
    connections = _VisibleConnections(many=True, required=False, queryset=Connection.objects.all())
    target_go_live = serializers.DateField(required=False, allow_null=True)
    sections = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Copy only these sections of the template (customer-engagement: Existing customer, New customer).",
    )
    notes = serializers.CharField(required=False, allow_blank=True)

    def validate_customer(self, customer):
        if not customers_visible_to(self.context["request"].user).filter(pk=customer.pk).exists():
            raise serializers.ValidationError("Unknown customer.")
        return customer


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    integration_method = serializers.ChoiceField(choices=IntegrationMethod.choices, required=False)
    connections = _VisibleConnections(many=True, required=False, queryset=Connection.objects.all())
    target_go_live = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class AdvanceSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Admins only: move on although deliverables are open; the reason is recorded.",
    )


class PhaseChangeSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: the same choice sets already have their enum names (phase, state).
    from_phase = serializers.CharField(read_only=True, help_text=PHASES_HELP)
    to_phase = serializers.CharField(read_only=True, help_text=PHASES_HELP)
    from_state = serializers.CharField(read_only=True, help_text=f"{STATES_HELP}; empty at creation")
    to_state = serializers.CharField(read_only=True, help_text=STATES_HELP)

    class Meta:
        model = PhaseChange
        fields = [
            "id",
            "from_phase",
            "to_phase",
            "from_state",
            "to_state",
            "actor",
            "reason",
            "overridden",
            "open_deliverables",
            "created_at",
        ]
        read_only_fields = fields


class DeliverableEvidenceSerializer(serializers.Serializer):
    kind = serializers.CharField(source="evidence_kind")
    satisfied = serializers.BooleanField(source="evidence_satisfied")
    summary = serializers.CharField(source="evidence_summary")
    link = serializers.CharField(source="evidence_link")
    checked_at = serializers.DateTimeField(source="evidence_checked_at", allow_null=True)


class DeliverableSerializer(serializers.ModelSerializer):
    # Blank when the line has one owner (read-only model fields lose allow_blank, so the schema would not
    # list "").
    co_owner_role = serializers.ChoiceField(choices=OwnerRole.choices, allow_blank=True, read_only=True)
    owner_join = serializers.ChoiceField(choices=OwnerJoin.choices, allow_blank=True, read_only=True)

    owner_roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    co_owner_role = serializers.CharField(read_only=True, help_text="A second owner role, or empty.")
    owner = serializers.SerializerMethodField(help_text="The owners by team name as bound on the project.")
    done_by = serializers.SerializerMethodField(help_text="Username, or 'system' when evidence completed it.")
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Deliverable
        fields = [
            "id",
            "project",
            "phase",
            "section",
            "order",
            "owner_role",
            "co_owner_role",
            "owner_join",
            "owner_roles",
            "owner",
            "responsibility",
            "done",
            "done_by",
            "done_at",
            "notes",
            "evidence",
        ]
        read_only_fields = fields

    def get_owner(self, obj: Deliverable) -> str:
        names = self.context.get("party_names", {})
        return owner_label(obj.owner_roles, obj.owner_join, names=names)

    def get_done_by(self, obj: Deliverable) -> str | None:
        if not obj.done:
            return None
        return obj.done_by.get_username() if obj.done_by else services.SYSTEM

    @extend_schema_field(DeliverableEvidenceSerializer(allow_null=True))
    def get_evidence(self, obj: Deliverable) -> dict | None:
        return DeliverableEvidenceSerializer(obj).data if obj.evidence_kind else None


class DeliverableUpdateSerializer(serializers.Serializer):
    done = serializers.BooleanField(required=False, help_text="true ticks the line, false reopens it.")
    notes = serializers.CharField(required=False, allow_blank=True)


class CSVRenderer(renderers.BaseRenderer):
    """Lets a client ask for text/csv; errors on that route are rendered as a plain line of text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):
            return str(data.get("message", data)).encode()
        return data or b""


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


class ProjectFilter(django_filters.FilterSet):
    template = django_filters.CharFilter(field_name="template__slug")

    class Meta:
        model = ImplementationProject
        fields = ["customer", "phase", "state", "integration_method", "template"]


class ImplementationProjectViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Implementation projects: created from a checklist template, moved phase by phase."""

    queryset = ImplementationProject.objects.all()
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_only_hints = {
        "phase": "POST /api/v1/implementations/{id}/advance/ moves a project to its next phase "
        "(with override_reason, for admins, despite open deliverables)."
    }
    permission_classes = [ActionPermission]
    action_permissions = {
        "advance": ["implementations.change_implementationproject"],
        "refresh_evidence": ["implementations.change_deliverable"],
        "extract": ["implementations.change_implementationproject", "employees.view_employee"],
        "history": ["implementations.view_phasechange"],
    }

    def get_queryset(self):
        return selectors.projects_for(self.request.user)

    def _out(self, project: ImplementationProject, status_code: int = status.HTTP_200_OK) -> Response:
        project = self.get_queryset().get(pk=project.pk)
        return Response(
            ProjectSerializer(project, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.input_serializer(
            ProjectCreateSerializer, data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        project = services.project_create(acting_user=request.user, **serializer.validated_data)
        return self._out(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer})
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        serializer = self.input_serializer(
            ProjectUpdateSerializer, data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.project_update(project=project, acting_user=request.user, **serializer.validated_data)
        return self._out(project)

    @extend_schema(request=AdvanceSerializer, responses={200: PhaseChangeSerializer})
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """Move the project to its next phase; with ``override_reason`` (admins only) despite open lines."""
        serializer = self.input_serializer(AdvanceSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.project_advance(
            project=self.get_object(),
            acting_user=request.user,
            override_reason=serializer.validated_data.get("override_reason", ""),
        )
        return Response(PhaseChangeSerializer(change).data)

    @extend_schema(responses={200: PhaseChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """The project's phase and state changes, newest first."""
        changes = self.get_object().phase_changes.all()
        return Response(PhaseChangeSerializer(changes, many=True).data)

    @extend_schema(request=None, responses={200: DeliverableSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="refresh-evidence", pagination_class=None)
    def refresh_evidence(self, request, pk=None):
        """Check the evidence the system holds now and tick the lines it proves."""
        project = self.get_object()
        services.deliverables_refresh_evidence(project=project)
        rows = selectors.deliverables_of(project)
        context = {**self.get_serializer_context(), "party_names": _party_names(project)}
        return Response(DeliverableSerializer(rows, many=True, context=context).data)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The data-audit extract.")
        },
        description=(
            "The customer's employees in the standard file format without national_id and birth_date. "
            "Each download is recorded as evidence on the project."
        ),
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, CSVRenderer])
    def extract(self, request, pk=None):
        return extract_response(self.get_object(), request.user)


def extract_response(project: ImplementationProject, user) -> StreamingHttpResponse:
    """Record the download, then stream the extract from one query (memory flat in the number of rows)."""
    row_count = selectors.extract_employees(project).count()
    services.extract_download_record(project=project, row_count=row_count, acting_user=user)
    writer = SafeWriter(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in selectors.extract_rows(project)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{project.customer.slug}-data-audit-extract.csv"'
    return response


def _party_names(project: ImplementationProject) -> dict[str, str]:
    return dict(project.parties.values_list("role", "team_name"))


class DeliverableViewSet(
    StrictInputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A project's checklist; ``PATCH`` with ``{"done": true}`` ticks a line (``false`` reopens it)."""

    queryset = Deliverable.objects.all()
    serializer_class = DeliverableSerializer
    http_method_names = ["get", "patch", "head", "options"]
    filterset_fields = ["phase", "done", "owner_role"]

    def _project(self) -> ImplementationProject:
        if not hasattr(self, "_project_cache"):
            try:
                self._project_cache = selectors.project_visible(self.request.user, self.kwargs["project_pk"])
            except (ImplementationProject.DoesNotExist, ValueError) as exc:
                raise Http404 from exc
        return self._project_cache

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Deliverable.objects.none()
        return selectors.deliverables_of(self._project())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "project_pk" in self.kwargs:
            context["party_names"] = _party_names(self._project())
        return context

    @extend_schema(request=DeliverableUpdateSerializer, responses={200: DeliverableSerializer})
    def partial_update(self, request, *args, **kwargs):
        deliverable = self.get_object()
        serializer = self.input_serializer(DeliverableUpdateSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        deliverable = services.deliverable_update(
            deliverable=deliverable, acting_user=request.user, **serializer.validated_data
        )
        deliverable = self.get_queryset().get(pk=deliverable.pk)
        return Response(DeliverableSerializer(deliverable, context=self.get_serializer_context()).data)
