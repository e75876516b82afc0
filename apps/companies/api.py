"""REST API for customers, company sets and companies."""

from __future__ import annotations

import django_filters
from rest_framework import mixins, serializers, viewsets

from apps.core.api import StrictInputMixin

from . import services
from .models import Company, CompanySet, Customer
from .scoping import CustomerScopedMixin
from .selectors import company_sets_for, customers_visible_to


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "slug", "notes", "active", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"slug": {"required": False}}


class CompanySetSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompanySet
        fields = ["id", "customer", "name", "provider", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_customer(self, customer):
        if not customers_visible_to(self.context["request"].user).filter(pk=customer.pk).exists():
            raise serializers.ValidationError("Unknown customer.")
        return customer


class CompanySerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="company_set.customer_id", read_only=True)

    class Meta:
        model = Company
        fields = ["id", "company_set", "customer", "external_id", "name", "provider", "active", "created_at"]
        read_only_fields = ["id", "provider", "created_at"]
        # Uniqueness per provider is checked by the service with a clearer message.
        validators = []

    def validate_company_set(self, company_set):
        if not company_sets_for(self.context["request"].user).filter(pk=company_set.pk).exists():
            raise serializers.ValidationError("Unknown company set.")
        return company_set


class CustomerViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    customer_path = "pk"
    filterset_fields = ["slug", "active"]

    def get_queryset(self):
        return customers_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.customer_create(
            acting_user=self.request.user, **serializer.validated_data
        )


class CompanySetViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = CompanySet.objects.select_related("customer")
    serializer_class = CompanySetSerializer
    filterset_fields = ["customer", "provider"]

    def perform_create(self, serializer):
        serializer.instance = services.company_set_create(
            acting_user=self.request.user, **serializer.validated_data
        )


class CompanyFilter(django_filters.FilterSet):
    class Meta:
        model = Company
        fields = ["external_id", "company_set", "provider", "active"]


class CompanyViewSet(
    StrictInputMixin,
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Company.objects.select_related("company_set__customer")
    serializer_class = CompanySerializer
    customer_path = "company_set__customer"
    filterset_class = CompanyFilter

    def perform_create(self, serializer):
        serializer.instance = services.company_create(
            acting_user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.company_update(
            company=serializer.instance,
            name=data.get("name"),
            active=data.get("active"),
            acting_user=self.request.user,
        )
