"""REST API: employees and their status history, persons, downstream actions, change batches, targets."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.scoping import CustomerScopedMixin
from apps.companies.selectors import company_sets_for, customers_visible_to, scope_to_user
from apps.core import destinations
from apps.core.api import ActionPermission, StrictInputMixin
from apps.core.errors import ApplicationError

from . import delivery, selectors, services
from .models import (
    Access,
    CauseType,
    ChangeBatch,
    Desired,
    DownstreamAction,
    DownstreamTarget,
    Employee,
    Person,
    StatusEvent,
)


def _visible_customers(request):
    """The customers a ``customer`` filter may name: another customer's id is a 400, like an unknown one."""
    return customers_visible_to(request.user if request else None)


def _visible_company_sets(request):
    return company_sets_for(request.user if request else None)


# --- employees --------------------------------------------------------------------------------------------


class EmployeeSerializer(serializers.ModelSerializer):
    company_external_id = serializers.CharField(source="company.external_id", read_only=True)

    class Meta:
        model = Employee
        fields = [
            "id",
            "company",
            "company_external_id",
            "employee_id",
            "person",
            "first_name",
            "last_name",
            "work_email",
            "employment_type",
            "benefit_class",
            "pay_group",
            "hire_date",
            "rehire_date",
            "termination_date",
            "status_code",
            "status_type",
            "status_effective_date",
            "held",
            "needs_review",
            "in_scope",
            "scope_reason",
            "last_seen_at",
            "details_refreshed_at",
        ]
        read_only_fields = fields


class StatusEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusEvent
        fields = [
            "id",
            "code",
            "status_type",
            "effective_date",
            "recorded_at",
            "source",
            "cause",
            "change_reason",
            "transition",
            "retroactive",
            "held",
            "released_at",
        ]
        read_only_fields = fields


class StatusEventListSerializer(StatusEventSerializer):
    """A status event read across employees: the event's fields plus the record and person it belongs to."""

    company_external_id = serializers.CharField(source="employee.company.external_id", read_only=True)
    employee_id = serializers.CharField(source="employee.employee_id", read_only=True)
    person = serializers.IntegerField(source="employee.person_id", read_only=True, allow_null=True)

    class Meta(StatusEventSerializer.Meta):
        fields = [
            *StatusEventSerializer.Meta.fields,
            "employee",
            "company_external_id",
            "employee_id",
            "person",
        ]
        read_only_fields = fields


class StatusEventFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(
        field_name="employee__company__company_set__customer", queryset=_visible_customers
    )
    company_set = django_filters.ModelChoiceFilter(
        field_name="employee__company__company_set", queryset=_visible_company_sets
    )
    company_external_id = django_filters.CharFilter(field_name="employee__company__external_id")
    employee_id = django_filters.CharFilter(field_name="employee__employee_id")
    person = django_filters.NumberFilter(field_name="employee__person")
    recorded_after = django_filters.IsoDateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", help_text="Recorded at or after (ISO 8601)."
    )

    class Meta:
        model = StatusEvent
        fields = [
            "customer",
            "company_set",
            "company_external_id",
            "employee_id",
            "person",
            "recorded_after",
        ]


class StatusEventViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Status events of every employee the user may see, newest recorded first (read-only)."""

    queryset = selectors.status_events_with_employee()
    serializer_class = StatusEventListSerializer
    filterset_class = StatusEventFilter
    customer_path = selectors.STATUS_EVENT_CUSTOMER_PATH


class EmployeeFilter(django_filters.FilterSet):
    company_external_id = django_filters.CharFilter(field_name="company__external_id")

    class Meta:
        model = Employee
        fields = [
            "company",
            "company_external_id",
            "employee_id",
            "person",
            "status_type",
            "held",
            "needs_review",
            "in_scope",
        ]


class EmployeeViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Employee.objects.select_related("company").order_by("company__external_id", "employee_id")
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    customer_path = "company__company_set__customer"
    permission_classes = [ActionPermission]
    action_permissions = {
        "status_events": ["employees.view_statusevent"],
        "review": ["employees.change_employee"],
    }

    @extend_schema(responses=StatusEventSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="status-events")
    def status_events(self, request, pk=None):
        employee = self.get_object()
        events = selectors.status_events_for(request.user, employee_id=employee.pk)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(StatusEventSerializer(page, many=True).data)

    @extend_schema(request=None, responses=EmployeeSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Mark a fringe change (T->L, T->XT) as reviewed."""
        employee = services.employee_review_clear(employee=self.get_object(), acting_user=request.user)
        return Response(EmployeeSerializer(employee).data)


# --- persons --------------------------------------------------------------------------------------------


class PersonEmployeeSerializer(serializers.ModelSerializer):
    company_external_id = serializers.CharField(source="company.external_id", read_only=True)

    class Meta:
        model = Employee
        fields = ["id", "company_external_id", "employee_id", "status_code", "status_type", "in_scope"]
        read_only_fields = fields


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice read as null while the model holds "" (not computed yet)."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, allow_blank=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class DownstreamStateSerializer(serializers.Serializer):
    """What the engine last told the downstream about the person (the action ledger)."""

    access = serializers.ChoiceField(source="downstream_access", choices=Access.choices, read_only=True)
    company_external_id = serializers.CharField(
        source="downstream_company.external_id", read_only=True, allow_null=True, default=None
    )
    since = serializers.DateField(source="downstream_since", read_only=True, allow_null=True)


class DesiredStateSerializer(serializers.Serializer):
    """What the person's status timeline asks of the downstream today (null until first reconciled)."""

    access = BlankAsNullChoiceField(source="desired_access", choices=Desired.choices)
    since = serializers.DateField(source="desired_since", read_only=True, allow_null=True)


class PersonSerializer(serializers.ModelSerializer):
    employees = PersonEmployeeSerializer(many=True, read_only=True)
    downstream_state = DownstreamStateSerializer(source="*", read_only=True)
    desired_state = DesiredStateSerializer(source="*", read_only=True)
    transfer_window_until = serializers.DateField(
        source="transfer_until",
        read_only=True,
        allow_null=True,
        help_text="Last day of an open transfer grace window; null when none is open.",
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "customer",
            "display_name",
            "status_type",
            "status_changed_at",
            "national_id_last4",
            "employees",
            "downstream_state",
            "desired_state",
            "transfer_window_until",
            "reconciled_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class CompanySetChoiceFilter(django_filters.ModelChoiceFilter):
    """A company set id (its filtering is the filter's ``method``)."""


class PersonFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_visible_customers)
    company_set = CompanySetChoiceFilter(
        queryset=_visible_company_sets,
        method="filter_company_set",
        help_text="Persons with at least one record in this company set.",
    )

    class Meta:
        model = Person
        fields = ["customer", "company_set", "status_type"]

    def filter_company_set(self, queryset, name, value):
        in_set = Employee.objects.filter(person=OuterRef("pk"), company__company_set=value)
        return queryset.filter(Exists(in_set))


class PersonViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = selectors.persons_with_state().order_by("display_name", "pk")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter


# --- downstream actions and held batches ------------------------------------------------------------------


class ActionEventSerializer(serializers.ModelSerializer):
    """A status event that drove an action, with the record it belongs to."""

    company_external_id = serializers.CharField(source="employee.company.external_id", read_only=True)
    employee_id = serializers.CharField(source="employee.employee_id", read_only=True)

    class Meta:
        model = StatusEvent
        fields = [
            "id",
            "employee",
            "company_external_id",
            "employee_id",
            "code",
            "status_type",
            "effective_date",
        ]
        read_only_fields = fields


class DownstreamActionSerializer(serializers.ModelSerializer):
    employee_ref = serializers.SerializerMethodField()
    company_external_id = serializers.CharField(
        source="company.external_id",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The company the action was enacted in.",
    )
    prior_company_external_id = serializers.CharField(
        source="prior_company.external_id", read_only=True, allow_null=True, default=None
    )
    events = ActionEventSerializer(many=True, read_only=True)

    class Meta:
        model = DownstreamAction
        fields = [
            "id",
            "customer",
            "person",
            "employee",
            "employee_ref",
            "batch",
            "seq",
            "action",
            "effective_date",
            "company",
            "company_external_id",
            "prior_access",
            "prior_company_external_id",
            "state",
            "withdrawn_reason",
            "withdrawn_at",
            "key",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "cause",
            "cause_type",
            "cause_id",
            "events",
            "created_at",
        ]
        read_only_fields = fields

    def get_employee_ref(self, obj) -> str:
        return f"{obj.employee.company.external_id}/{obj.employee.employee_id}" if obj.employee else ""


class BatchDecisionSerializer(serializers.Serializer):
    batch = serializers.IntegerField(help_text="The change batch whose held actions to approve or reject.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeBatchSerializer(serializers.ModelSerializer):
    held = serializers.SerializerMethodField()

    class Meta:
        model = ChangeBatch
        fields = [
            "id",
            "customer",
            "cause",
            "cause_type",
            "cause_id",
            "state",
            "active_persons_before",
            "removals",
            "decided_by",
            "decided_at",
            "decision_reason",
            "created_at",
            "held",
        ]
        read_only_fields = fields

    def get_held(self, obj) -> list[dict]:
        """The exact list of persons who would lose access, by name."""
        return [
            {
                "action_id": a.pk,
                "person": a.person_id,
                "name": a.person.display_name,
                "action": a.action,
                "effective_date": a.effective_date.isoformat(),
                "state": a.state,
            }
            for a in obj.actions.all()
        ]


class DownstreamActionFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_visible_customers)
    cause_type = django_filters.ChoiceFilter(choices=CauseType.choices)
    cause_id = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )

    class Meta:
        model = DownstreamAction
        fields = [
            "person",
            "employee",
            "action",
            "state",
            "batch",
            "customer",
            "cause_type",
            "cause_id",
            "created_after",
        ]


class DownstreamActionViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = selectors.downstream_actions_explained().order_by("-created_at", "-pk")
    serializer_class = DownstreamActionSerializer
    filterset_class = DownstreamActionFilter
    permission_classes = [ActionPermission]
    action_permissions = {
        "replay": ["employees.change_downstreamaction"],
        "approve": ["employees.change_changebatch"],
        "reject": ["employees.change_changebatch"],
    }

    @extend_schema(request=None, responses=DownstreamActionSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Deliver a failed or dead action again, with the same key."""
        replayed = delivery.action_replay(action=self.get_object(), acting_user=request.user)
        return Response(DownstreamActionSerializer(replayed).data)

    def _decide(self, request, approve: bool):
        data = self.input_serializer(BatchDecisionSerializer, data=request.data)
        data.is_valid(raise_exception=True)
        batch = (
            scope_to_user(ChangeBatch.objects.all(), request.user)
            .filter(pk=data.validated_data["batch"])
            .first()
        )
        if batch is None:
            raise ApplicationError("Unknown change batch.", extra={"field": "batch"})
        batch = services.change_batch_decide(
            batch=batch, approve=approve, acting_user=request.user, reason=data.validated_data["reason"]
        )
        return Response(ChangeBatchSerializer(batch).data)

    @extend_schema(request=BatchDecisionSerializer, responses=ChangeBatchSerializer)
    @action(detail=False, methods=["post"])
    def approve(self, request):
        """Approve a mass change held by the safeguard: its actions are delivered."""
        return self._decide(request, approve=True)

    @extend_schema(request=BatchDecisionSerializer, responses=ChangeBatchSerializer)
    @action(detail=False, methods=["post"])
    def reject(self, request):
        """Reject a mass change held by the safeguard (a reason is required): its actions are never sent."""
        return self._decide(request, approve=False)


class ChangeBatchViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ChangeBatch.objects.prefetch_related("actions__person").order_by("-created_at")
    serializer_class = ChangeBatchSerializer
    filterset_fields = ["customer", "state"]


# --- downstream targets -----------------------------------------------------------------------------------


class DownstreamTargetSerializer(serializers.ModelSerializer):
    signing_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    signing_secret_set = serializers.SerializerMethodField()

    class Meta:
        model = DownstreamTarget
        fields = [
            "id",
            "customer",
            "url",
            "signing_secret",
            "signing_secret_set",
            "active",
            "leave_policy",
            "transfer_grace_days",
            "mass_change_percent",
            "mass_change_min_persons",
            "max_attempts",
        ]
        read_only_fields = ["id"]

    def get_signing_secret_set(self, obj) -> bool:
        return bool(obj.signing_secret)

    def validate_url(self, url):

        if url:
            try:
                destinations.validate_url(url)
            except destinations.DestinationError as exc:
                raise serializers.ValidationError(f"Not an allowed destination: {exc.message}.") from exc
        return url

    def validate_customer(self, customer):
        if not customers_visible_to(self.context["request"].user).filter(pk=customer.pk).exists():
            raise serializers.ValidationError("Unknown customer.")
        return customer


class DownstreamTargetViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = DownstreamTarget.objects.select_related("customer")
    serializer_class = DownstreamTargetSerializer
    filterset_fields = ["customer"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.downstream_target_set(acting_user=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("customer", None)
        serializer.instance = services.downstream_target_set(
            customer=serializer.instance.customer, acting_user=self.request.user, **data
        )
