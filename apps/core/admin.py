"""Admin helpers shared by every app."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """A history inline: shown, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SaveOnlyWhatCanChangeMixin:
    """No Save buttons on a change page where nothing can be changed.

    Django offers Save whenever the user has the change permission, even when every field is read-only and
    every inline is a history (an employee, who comes from feeds and files): pressing it changes nothing and
    says "changed successfully". Here the buttons show only when the form has a field to edit or an inline
    can be added to, changed or deleted from; the admin's "Close" link is offered instead.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and not _editable(context):
            context.update(
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_save_as_new=False,
            )
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )


def _editable(context) -> bool:
    """Whether the change form has anything a Save would send: an editable field or an open inline."""
    if context["adminform"].form.fields:
        return True
    return any(
        inline.has_add_permission or inline.has_change_permission or inline.formset.can_delete
        for inline in context.get("inline_admin_formsets", ())
    )
