"""REST API of the support desk: tickets (with escalation, diagnostics, log, evidence) and knowledge articles."""

from __future__ import annotations

from collections import defaultdict

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import filters, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.models import Company, Customer
from apps.companies.scoping import CustomerScopedMixin, ScopedFilterBackend
from apps.companies.selectors import companies_for, customers_visible_to
from apps.core.api import ActionPermission, StrictInputMixin
from apps.core.errors import ApplicationError
from apps.employees.models import Employee
from apps.integrations.models import ApiCall, Connection
from apps.users.models import User

from . import selectors, services
from .escalation import refusal_message
from .models import Category, KnowledgeArticle, State, Ticket


class LogEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    by = serializers.CharField()
    customer_troubleshooting = serializers.BooleanField()
    text = serializers.CharField()


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.SerializerMethodField()
    object_id = serializers.CharField()
    label = serializers.CharField()
    note = serializers.CharField()

    def get_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class ChecklistItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    done = serializers.BooleanField()
    done_at = serializers.DateTimeField(allow_null=True)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as read: its description, log ("troubleshooting"), evidence, checklist and articles."""

    companies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    employees = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    troubleshooting = LogEntrySerializer(many=True, read_only=True, source="log_entries")
    evidence = EvidenceSerializer(many=True, read_only=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True, source="checklist_items")
    api_calls = serializers.SerializerMethodField()
    knowledge_articles = serializers.SerializerMethodField()
    age_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "customer",
            "category",
            "level",
            "state",
            "priority",
            "title",
            "expected_result",
            "actual_result",
            "troubleshooting",
            "companies",
            "employees",
            "api_calls",
            "evidence",
            "checklist",
            "knowledge_articles",
            "origin",
            "automatic_key",
            "recurrences",
            "assignee",
            "reporter_name",
            "reporter_email",
            "connection",
            "opened_at",
            "last_recurrence_at",
            "resolved_at",
            "age_seconds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_api_calls(self, obj: Ticket) -> list[int]:
        return [
            int(e.object_id)
            for e in obj.evidence.all()
            if e.content_type.app_label == "integrations" and e.content_type.model == "apicall"
        ]

    def get_knowledge_articles(self, obj: Ticket) -> list[int]:
        articles = self.context.get("articles_by_category")
        if articles is None:
            return list(selectors.articles_for_ticket(obj).values_list("pk", flat=True))
        return articles.get(obj.category, [])

    def get_age_seconds(self, obj: Ticket) -> int:
        return int(obj.age.total_seconds())


class TicketWriteSerializer(serializers.Serializer):
    """What an agent gives to open or edit a ticket (the customer cannot change afterwards)."""

    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    title = serializers.CharField(max_length=300)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    priority = serializers.ChoiceField(choices=Ticket._meta.get_field("priority").choices, default="normal")
    companies = serializers.PrimaryKeyRelatedField(many=True, queryset=Company.objects.all(), required=False)
    employees = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Employee.objects.select_related("company__company_set"), required=False
    )
    connection = serializers.PrimaryKeyRelatedField(
        queryset=Connection.objects.all(), required=False, allow_null=True
    )
    reporter_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)
    expected_result = serializers.CharField(required=False, allow_blank=True)
    actual_result = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    troubleshooting = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="On create: what was tried so far, as plain text (the ticket's first log note).",
    )
    api_calls = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=ApiCall.objects.select_related("connection"),
        required=False,
        write_only=True,
        help_text="On create: IDs of API calls of this customer, kept as evidence.",
    )

    def validate_customer(self, customer):
        if not customers_visible_to(self.context["request"].user).filter(pk=customer.pk).exists():
            raise serializers.ValidationError("Unknown customer.")
        return customer

    def validate_companies(self, companies):
        visible = set(companies_for(self.context["request"].user).values_list("pk", flat=True))
        unknown = [c.pk for c in companies if c.pk not in visible]
        if unknown:
            raise serializers.ValidationError(f"Unknown companies: {unknown}.")
        return companies

    def validate(self, attrs):
        customer = attrs.get("customer")
        calls = attrs.get("api_calls") or []
        foreign = [c.pk for c in calls if customer is None or services.record_customer_id(c) != customer.pk]
        if foreign:
            # The same words as for an ID that does not exist: another customer's calls are not confirmed.
            raise serializers.ValidationError(
                {"api_calls": [f'Invalid pk "{pk}" - object does not exist.' for pk in foreign]}
            )
        return attrs


class StateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True, help_text="A support agent's user id; null unassigns."
    )


class LogAddSerializer(serializers.Serializer):
    text = serializers.CharField()
    customer_troubleshooting = serializers.BooleanField(default=False)


class EvidenceAddSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='"app_label.model", e.g. "integrations.apicall".')
    id = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChecklistTickSerializer(serializers.Serializer):
    done = serializers.BooleanField(default=True)


class DiagnoseSerializer(serializers.Serializer):
    employee = serializers.IntegerField(help_text="An employee of the ticket's customer.")


class SendSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, help_text="The edited body (optional).")


DraftSerializer = inline_serializer(
    "EscalationDraft",
    {
        # Empty while the provider's support address is not set up (Settings in the admin).
        "to": serializers.EmailField(allow_blank=True),
        "subject": serializers.CharField(),
        "body": serializers.CharField(),
    },
)


class EscalationOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    to = serializers.EmailField(source="to_address")
    subject = serializers.CharField()
    body = serializers.CharField()
    edited = serializers.BooleanField()
    sent_by = serializers.CharField()
    sent_at = serializers.DateTimeField()


class TicketFilter(django_filters.FilterSet):
    class Meta:
        model = Ticket
        fields = ["category", "state", "level", "customer", "origin", "assignee", "priority"]


class TicketViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets, oldest first (the triage order). Transitions are POST actions that call one service each."""

    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    permission_classes = [ActionPermission]
    action_permissions = {
        "escalation": ["support.view_ticket", "support.add_escalation"],
        "escalation_send": ["support.view_ticket", "support.add_escalation"],
        "state": ["support.change_ticket"],
        "assign": ["support.change_ticket"],
        "log": ["support.add_ticketlogentry"],
        "evidence": ["support.add_ticketevidence"],
        "checklist": ["support.change_ticketchecklistitem"],
        "diagnose": ["support.add_diagnosticresult"],
    }

    def get_queryset(self):
        return selectors.tickets_for(self.request.user).order_by("opened_at", "id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            by_category: dict[str, list[int]] = defaultdict(list)
            for pk, category in KnowledgeArticle.objects.filter(published=True).values_list("pk", "category"):
                by_category[category].append(pk)
            context["articles_by_category"] = by_category
        return context

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return TicketWriteSerializer
        return TicketSerializer

    def _read(self, ticket: Ticket, status_code=status.HTTP_200_OK) -> Response:
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(
            TicketSerializer(ticket, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(request=TicketWriteSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.input_serializer(
            TicketWriteSerializer, data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_create(acting_user=request.user, **serializer.validated_data)
        return self._read(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=TicketWriteSerializer, responses=TicketSerializer)
    def update(self, request, *args, **kwargs):
        ticket = self.get_object()
        serializer = self.input_serializer(
            TicketWriteSerializer, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        create_only = sorted({"troubleshooting", "api_calls"} & set(data))
        if create_only:
            raise serializers.ValidationError(
                {
                    name: [
                        f"{name} is taken on create only: add log notes with POST .../log/ and evidence "
                        "with POST .../evidence/."
                    ]
                    for name in create_only
                }
            )
        if "customer" in data and data.pop("customer") != ticket.customer:
            raise ApplicationError("A ticket's customer cannot change.", extra={"field": "customer"})
        if "assignee" in data:
            services.ticket_assign(ticket=ticket, assignee=data.pop("assignee"), acting_user=request.user)
        services.ticket_update(ticket=ticket, acting_user=request.user, **data)
        return self._read(ticket)

    @extend_schema(
        request=None,
        responses=DraftSerializer,
        description=(
            "The Level 2 draft (nothing is sent). A ticket about the hub's own configuration (mapping "
            "needed, record filtering, held mass change, ...) has none: 400 with the reason."
        ),
    )
    @action(detail=True, methods=["post"])
    def escalation(self, request, pk=None):
        ticket = self.get_object()
        refusal = selectors.escalation_refusal_for(ticket)
        if refusal:
            raise ApplicationError(refusal_message(refusal), extra={"field": "category"})
        return Response(selectors.escalation_draft_for(ticket).as_dict())

    @extend_schema(request=SendSerializer, responses={201: EscalationOutSerializer})
    @action(detail=True, methods=["post"], url_path="escalation/send")
    def escalation_send(self, request, pk=None):
        serializer = self.input_serializer(SendSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        escalation = services.escalation_send(
            ticket=self.get_object(), acting_user=request.user, body=serializer.validated_data.get("body")
        )
        return Response(EscalationOutSerializer(escalation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StateSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def state(self, request, pk=None):
        serializer = self.input_serializer(StateSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_state_set(
            ticket=self.get_object(), acting_user=request.user, **serializer.validated_data
        )
        return self._read(ticket)

    @extend_schema(request=AssignSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        serializer = self.input_serializer(AssignSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = self.get_object()
        assignee_id = serializer.validated_data["assignee"]
        assignee = None
        if assignee_id is not None:
            # Absent, inactive, not an agent or not one of this customer's: one answer, naming nobody.
            assignee = selectors.assignable_users(ticket.customer).filter(pk=assignee_id).first()
            if assignee is None:
                raise ApplicationError(
                    "No such support agent for this ticket's customer.", extra={"field": "assignee"}
                )
        ticket = services.ticket_assign(ticket=ticket, assignee=assignee, acting_user=request.user)
        return self._read(ticket)

    @extend_schema(request=LogAddSerializer, responses={201: TicketSerializer})
    @action(detail=True, methods=["post"])
    def log(self, request, pk=None):
        serializer = self.input_serializer(LogAddSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = self.get_object()
        services.ticket_log_add(ticket=ticket, acting_user=request.user, **serializer.validated_data)
        return self._read(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=EvidenceAddSerializer, responses={201: TicketSerializer})
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        serializer = self.input_serializer(EvidenceAddSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = self.get_object()
        app_label, _, model = serializer.validated_data["type"].lower().partition(".")
        content_type = selectors.evidence_content_types().filter(app_label=app_label, model=model).first()
        if content_type is None:
            raise ApplicationError(
                f"{serializer.validated_data['type']} cannot be attached as evidence.",
                extra={"field": "type"},
            )
        model = content_type.model_class()
        try:
            pk = model._meta.pk.to_python(serializer.validated_data["id"])
        except DjangoValidationError:
            pk = None
        item = model._default_manager.filter(pk=pk).first() if pk is not None else None
        if item is None or services.record_customer_id(item) != ticket.customer_id:
            raise ApplicationError("No such record of this ticket's customer.", extra={"field": "id"})
        services.ticket_evidence_attach(
            ticket=ticket, item=item, note=serializer.validated_data["note"], acting_user=request.user
        )
        return self._read(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=ChecklistTickSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], url_path=r"checklist/(?P<item_id>\d+)")
    def checklist(self, request, pk=None, item_id=None):
        serializer = self.input_serializer(ChecklistTickSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = self.get_object()
        item = get_object_or_404(ticket.checklist_items, pk=item_id)
        services.ticket_checklist_tick(
            item=item, done=serializer.validated_data["done"], acting_user=request.user
        )
        return self._read(ticket)

    @extend_schema(
        request=DiagnoseSerializer,
        responses={
            201: inline_serializer(
                "Diagnosis",
                {
                    "id": serializers.IntegerField(),
                    "ok": serializers.BooleanField(),
                    "error": serializers.CharField(),
                    "result": serializers.JSONField(),
                },
            )
        },
        description="Check this employee now: GET it from the provider and compare; attached as evidence.",
    )
    @action(detail=True, methods=["post"])
    def diagnose(self, request, pk=None):
        ticket = self.get_object()
        serializer = self.input_serializer(DiagnoseSerializer, data=request.data)
        serializer.is_valid(raise_exception=True)
        # Absent and another customer's employee get the same answer.
        employee = (
            Employee.objects.select_related("company__company_set")
            .filter(pk=serializer.validated_data["employee"], company__company_set__customer=ticket.customer)
            .first()
        )
        if employee is None:
            raise ApplicationError("No such employee of this ticket's customer.", extra={"field": "employee"})
        result = services.employee_diagnose(employee=employee, ticket=ticket, acting_user=request.user)
        return Response(
            {"id": result.pk, "ok": result.ok, "error": result.error, "result": result.result},
            status=status.HTTP_201_CREATED,
        )


class KnowledgeArticleSerializer(serializers.ModelSerializer):
    checklist = serializers.ListField(child=serializers.CharField(max_length=500), required=False)

    class Meta:
        model = KnowledgeArticle
        fields = ["id", "category", "title", "body", "checklist", "primary", "published", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class KnowledgeArticleViewSet(
    StrictInputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Level 1 articles per category; ``?search=`` looks in titles and bodies, ``?category=`` filters."""

    queryset = KnowledgeArticle.objects.all()
    serializer_class = KnowledgeArticleSerializer
    filterset_fields = ["category", "primary", "published"]
    filter_backends = [ScopedFilterBackend, filters.SearchFilter]
    search_fields = ["title", "body"]

    def get_queryset(self):
        return selectors.knowledge_articles_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.knowledge_article_create(
            acting_user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.knowledge_article_update(
            article=serializer.instance, acting_user=self.request.user, **serializer.validated_data
        )
