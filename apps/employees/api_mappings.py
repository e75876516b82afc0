"""REST API: status codes, status mappings (with preview) and filter rules (with preview).

The models live in ``apps.mappings``; the endpoints live here because saving a mapping or a rule re-decides
employees and persons through this app's services (see docs/architecture.md, the layers).
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.companies.models import Company, CompanySet
from apps.companies.selectors import companies_for, company_sets_for
from apps.core.api import ActionPermission, StrictInputMixin
from apps.mappings.models import FilterRule, StatusCode, StatusMapping

from . import services


def _scope_label(company_set_id, company) -> str:
    if company is not None:
        return f"company {company.external_id}"
    return f"company set {company_set_id}" if company_set_id else "standard"


class StatusCodeSerializer(serializers.ModelSerializer):
    status_type = serializers.SerializerMethodField()
    scope = serializers.SerializerMethodField()

    class Meta:
        model = StatusCode
        fields = ["id", "code", "description", "standard", "status_type", "company_set", "company", "scope"]
        read_only_fields = ["id", "standard", "status_type", "scope"]

    def get_status_type(self, obj) -> str | None:
        if obj.standard:
            return obj.standard_type
        mapping = self.context.get("mappings", {}).get((obj.company_set_id, obj.company_id, obj.code))
        return mapping

    def get_scope(self, obj) -> str:
        return _scope_label(obj.company_set_id, obj.company)

    def validate(self, data):
        data["code"] = data["code"].strip().upper()
        if not data.get("company_set"):
            raise serializers.ValidationError({"company_set": "A custom code belongs to a company set."})
        if not company_sets_for(self.context["request"].user).filter(pk=data["company_set"].pk).exists():
            raise serializers.ValidationError({"company_set": "Unknown company set."})
        company = data.get("company")
        if company and company.company_set_id != data["company_set"].pk:
            raise serializers.ValidationError({"company": "The company is not in this company set."})
        return data


class StatusCodeViewSet(
    StrictInputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The six standard codes and every custom code (declared, or seen in a feed and waiting for a mapping)."""

    queryset = StatusCode.objects.select_related("company").order_by("-standard", "code", "pk")
    serializer_class = StatusCodeSerializer
    filterset_fields = ["code", "standard", "company_set", "company"]

    def get_queryset(self):
        visible = company_sets_for(self.request.user).values("pk")
        return super().get_queryset().filter(Q(standard=True) | Q(company_set__in=visible))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no database needed
            return context
        context["mappings"] = {
            (m.company_set_id, m.company_id, m.code): m.status_type for m in StatusMapping.objects.all()
        }
        return context


class StatusMappingSerializer(serializers.ModelSerializer):
    company_set = serializers.PrimaryKeyRelatedField(queryset=CompanySet.objects.all())
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, allow_null=True
    )
    scope = serializers.SerializerMethodField()

    class Meta:
        model = StatusMapping
        fields = ["id", "code", "description", "status_type", "company_set", "company", "scope", "created_at"]
        read_only_fields = ["id", "scope", "created_at"]
        validators = []

    def get_scope(self, obj) -> str:
        return _scope_label(obj.company_set_id, obj.company)

    def validate(self, data):
        user = self.context["request"].user
        if not company_sets_for(user).filter(pk=data["company_set"].pk).exists():
            raise serializers.ValidationError({"company_set": "Unknown company set."})
        company = data.get("company")
        if (
            company
            and not companies_for(user).filter(pk=company.pk, company_set=data["company_set"]).exists()
        ):
            raise serializers.ValidationError({"company": "The company is not in this company set."})
        return data


class MappingPreviewSerializer(serializers.Serializer):
    employees = serializers.ListField(child=serializers.DictField())
    persons = serializers.ListField(child=serializers.IntegerField())
    actions = serializers.ListField(child=serializers.DictField())
    released_events = serializers.IntegerField()
    held_for_approval = serializers.BooleanField()


class StatusMappingViewSet(
    StrictInputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Map a custom code to a type; saving releases the code's held events (see ``preview`` first)."""

    queryset = StatusMapping.objects.select_related("company").order_by("company_set", "code", "pk")
    serializer_class = StatusMappingSerializer
    filterset_fields = ["company_set", "company", "code", "status_type"]
    permission_classes = [ActionPermission]
    action_permissions = {"preview": ["mappings.view_statusmapping"]}

    def get_queryset(self):
        return super().get_queryset().filter(company_set__in=company_sets_for(self.request.user).values("pk"))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.status_mapping_set(acting_user=request.user, **serializer.validated_data)
        body = self.get_serializer(outcome.mapping).data
        body["released_events"] = outcome.released_events
        body["actions_written"] = outcome.result.actions
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=StatusMappingSerializer, responses=MappingPreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """What would change if this mapping were saved: employees, persons and downstream actions."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(
            services.status_mapping_preview(
                company_set=data["company_set"],
                code=data["code"],
                status_type=data["status_type"],
                company=data.get("company"),
            )
        )


class FilterRuleSerializer(serializers.ModelSerializer):
    out_of_scope = serializers.ChoiceField(
        choices=["leave", "deprovision"],
        default="leave",
        write_only=True,
        help_text="People the downstream still holds whose records all leave scope: leave their access "
        "(default) or deprovision them (through the mass-change safeguard).",
    )

    class Meta:
        model = FilterRule
        fields = [
            "id",
            "company_set",
            "field",
            "operator",
            "values",
            "include",
            "description",
            "active",
            "out_of_scope",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"values": {"required": True}}

    def validate_company_set(self, company_set):
        if not company_sets_for(self.context["request"].user).filter(pk=company_set.pk).exists():
            raise serializers.ValidationError("Unknown company set.")
        return company_set

    def validate_values(self, values):
        if not isinstance(values, list) or not values:
            raise serializers.ValidationError("A non-empty list of values.")
        return [str(v) for v in values]


class FilterRuleViewSet(StrictInputMixin, viewsets.ModelViewSet):
    """Scope rules per company set; saving re-evaluates the set's records (the safeguard applies)."""

    queryset = FilterRule.objects.order_by("company_set", "field", "pk")
    serializer_class = FilterRuleSerializer
    filterset_fields = ["company_set", "field", "include", "active"]
    permission_classes = [ActionPermission]
    action_permissions = {"preview": ["mappings.view_filterrule"]}

    def get_queryset(self):
        return super().get_queryset().filter(company_set__in=company_sets_for(self.request.user).values("pk"))

    def perform_create(self, serializer):
        serializer.instance = services.filter_rule_save(
            acting_user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = {**FilterRuleSerializer(serializer.instance).data, **serializer.validated_data}
        data.pop("id", None)
        data.setdefault("out_of_scope", "leave")
        data["company_set"] = serializer.instance.company_set
        serializer.instance = services.filter_rule_save(
            rule=serializer.instance, acting_user=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.filter_rule_delete(rule=instance, acting_user=self.request.user)

    @extend_schema(
        request=FilterRuleSerializer,
        responses=inline_serializer(
            "FilterPreview",
            {
                "records": serializers.IntegerField(),
                "in_scope_now": serializers.IntegerField(),
                "in_scope_after": serializers.IntegerField(),
                "change": serializers.IntegerField(),
                "persons_leaving_scope_held": serializers.IntegerField(
                    help_text="People the downstream still holds whose records would all leave scope."
                ),
                "persons_leaving_scope": serializers.ListField(child=serializers.DictField()),
                "out_of_scope": serializers.CharField(),
                "persons_entering": serializers.IntegerField(help_text="People who would become managed."),
                "persons_entering_scope": serializers.ListField(child=serializers.DictField()),
                "persons_leaving": serializers.IntegerField(help_text="People who would become unmanaged."),
                "persons_leaving_scope_all": serializers.ListField(child=serializers.DictField()),
                "actions_written": serializers.IntegerField(),
                "actions": serializers.ListField(
                    child=serializers.DictField(), help_text="Downstream actions the save would write."
                ),
                "actions_withdrawn": serializers.IntegerField(),
                "withdrawn": serializers.ListField(
                    child=serializers.DictField(), help_text="Unsent actions the save would withdraw."
                ),
                "held_for_approval": serializers.BooleanField(),
            },
        ),
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """What saving this rule would do: records and people in and out of scope, actions (nothing is saved)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(
            services.filter_rule_preview(
                company_set=data["company_set"],
                field=data["field"],
                operator=data.get("operator", "in"),
                values=data["values"],
                include=data.get("include", True),
                active=data.get("active", True),
                out_of_scope=data.get("out_of_scope", "leave"),
            )
        )
