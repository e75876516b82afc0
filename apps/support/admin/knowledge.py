"""The knowledge base: articles open to be read; editing is behind a button."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse

from apps.core.admin_pages import AdminPageMixin

from .. import services
from ..models import (
    KnowledgeArticle,
)

# --- knowledge base ------------------------------------------------------------------------------------


class ChecklistField(forms.CharField):
    """A list of steps edited as a textarea, one step per line."""

    widget = forms.Textarea(attrs={"rows": 8, "cols": 90})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class KnowledgeArticleForm(forms.ModelForm):
    checklist = ChecklistField(required=False, help_text="One troubleshooting step per line.")

    class Meta:
        model = KnowledgeArticle
        fields = ("category", "title", "body", "checklist", "primary", "published")
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 90})}


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(AdminPageMixin, admin.ModelAdmin):
    form = KnowledgeArticleForm
    list_display = ("title", "category", "primary", "published", "steps", "updated_at")
    list_filter = ("category", "primary", "published")
    search_fields = ("title", "body")
    ordering = ("category", "-primary", "title")

    @admin.display(description="steps")
    def steps(self, obj: KnowledgeArticle) -> int:
        return len(obj.checklist or [])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # An article opens to be read; the edit form is one button away (``?edit=1``) for those who may.
        if request.method == "GET" and "edit" not in request.GET:
            return self.read_view(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def read_view(self, request, object_id):
        article = self.get_object(request, object_id)
        self.require(article is not None and self.has_view_permission(request, article))
        return self.render_page(
            request,
            "support/admin/article.html",
            title=article.title,
            obj=article,
            subtitle=article.get_category_display(),
            article=article,
            can_edit=self.has_change_permission(request, article),
            edit_url=reverse("admin:support_knowledgearticle_change", args=[article.pk]) + "?edit=1",
        )

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in KnowledgeArticleForm.Meta.fields}
        if change:
            stored = KnowledgeArticle.objects.get(pk=obj.pk)
            services.knowledge_article_update(article=stored, acting_user=request.user, **data)
        else:
            created = services.knowledge_article_create(acting_user=request.user, **data)
            obj.pk = created.pk
