"""The knowledge base: articles per category, whose checklist new tickets copy."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.core.errors import ApplicationError

from ..models import (
    KnowledgeArticle,
)

logger = logging.getLogger(__name__)

# --- knowledge base ------------------------------------------------------------------------------------


def _clean_steps(steps: Iterable[Any]) -> list[str]:
    return [str(s).strip()[:500] for s in steps if str(s).strip()]


@transaction.atomic
def knowledge_article_create(
    *,
    category: str,
    title: str,
    body: str,
    checklist: Iterable[str] = (),
    primary: bool = False,
    published: bool = True,
    acting_user=None,
) -> KnowledgeArticle:
    """Add an article; a primary one replaces the category's previous primary article."""
    if primary:
        KnowledgeArticle.objects.filter(category=category, primary=True).update(primary=False)
    article = KnowledgeArticle(
        category=category,
        title=title,
        body=body,
        checklist=_clean_steps(checklist),
        primary=primary,
        published=published,
    )
    article.full_clean()
    article.save()
    return article


@transaction.atomic
def knowledge_article_update(
    *, article: KnowledgeArticle, acting_user=None, **fields: Any
) -> KnowledgeArticle:
    """Edit an article (new tickets copy the new checklist; existing tickets keep theirs)."""
    allowed = {"category", "title", "body", "checklist", "primary", "published"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(f"Unknown article fields: {', '.join(sorted(unknown))}.")
    if "checklist" in fields:
        fields["checklist"] = _clean_steps(fields["checklist"])
    for name, value in fields.items():
        setattr(article, name, value)
    if article.primary:
        KnowledgeArticle.objects.filter(category=article.category, primary=True).exclude(
            pk=article.pk
        ).update(primary=False)
    article.full_clean()
    article.save()
    return article
