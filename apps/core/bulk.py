"""A fast bulk UPDATE of many rows with different values, for the hot write paths.

Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` expression per row and field, which costs
more Python time than the database spends on the rows (measured: most of a 50,000-record sync). Both
PostgreSQL and SQLite (3.33+) can instead join the table to a ``VALUES`` list in one statement:
``UPDATE t SET f = v.f FROM (VALUES ...) AS v(id, f) WHERE t.id = v.id``. Values go through each field's
``get_db_prep_save``, so encrypted fields, dates and JSON behave as in ``save()``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

# SQLite before 3.32 allowed 999 parameters a statement; later versions 32,766.
_SQLITE_PARAMS = 32_000 if sqlite3.sqlite_version_info >= (3, 32) else 999
_POSTGRES_PARAMS = 60_000


def bulk_update_fast(objs: Sequence[models.Model], field_names: Sequence[str]) -> int:
    """Write ``field_names`` of every object (matched by primary key) in as few statements as possible."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    if "updated_at" not in field_names and any(f.name == "updated_at" for f in meta.concrete_fields):
        fields.append(meta.get_field("updated_at"))
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return model._base_manager.bulk_update(objs, [f.name for f in fields])
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(meta.pk.column)
    per_row = len(fields) + 1
    limit = (_POSTGRES_PARAMS if vendor == "postgresql" else _SQLITE_PARAMS) // per_row
    total = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), limit):
            rows = objs[start : start + limit]
            params: list = []
            for obj in rows:
                params.append(obj.pk)
                for field in fields:
                    params.append(field.get_db_prep_save(getattr(obj, field.attname), connection))
            if vendor == "postgresql":
                casts = [f"%s::{meta.pk.cast_db_type(connection)}"] + [
                    f"%s::{f.cast_db_type(connection)}" for f in fields
                ]
                row_sql = "(" + ", ".join(casts) + ")"
                names = ", ".join(["pk_", *[f"v{i}" for i in range(len(fields))]])
                assignments = ", ".join(f"{quote(f.column)} = v.v{i}" for i, f in enumerate(fields))
                sql = (
                    f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(rows))}) "  # noqa: S608
                    f"AS v({names}) WHERE {table}.{pk_column} = v.pk_"
                )
            else:
                row_sql = "(" + ", ".join(["%s"] * per_row) + ")"
                assignments = ", ".join(f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(fields))
                sql = (
                    f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(rows))}) "  # noqa: S608
                    f"AS v WHERE {table}.{pk_column} = v.column1"
                )
            cursor.execute(sql, params)
            total += cursor.rowcount
    return total


def bulk_insert_fast(objs: Sequence[models.Model]) -> list[models.Model]:
    """Insert new objects in as few statements as possible and give each its primary key.

    Django's ``bulk_create`` compiles every value through ``pre_save`` and ``field_as_sql`` and, on SQLite,
    splits the rows every 999 parameters; here values only go through each field's ``get_db_prep_save`` (so
    encrypted fields, dates and JSON behave as in ``save()``), ``auto_now``/``auto_now_add`` get the same
    time, and a statement carries as many rows as the database allows. Keys come back with ``RETURNING``
    (PostgreSQL, SQLite 3.35+), in the order of the rows, which both databases keep for a multi-row insert.
    Other databases fall back to ``bulk_create``.
    """
    if not objs:
        return list(objs)
    model = type(objs[0])
    meta = model._meta
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite") or sqlite3.sqlite_version_info < (3, 35):
        return model._base_manager.bulk_create(objs)

    now = timezone.now()
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for obj in objs:
        # A foreign key set as an object saved since (a new employee's events) takes its id now, as in save().
        obj._prepare_related_fields_for_save(operation_name="bulk_insert_fast")
        for field in fields:
            if getattr(field, "auto_now", False) or (
                getattr(field, "auto_now_add", False) and getattr(obj, field.attname) is None
            ):
                setattr(obj, field.attname, now)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    limit = (_POSTGRES_PARAMS if vendor == "postgresql" else _SQLITE_PARAMS) // len(fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), limit):
            rows = objs[start : start + limit]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection)
                for obj in rows
                for field in fields
            ]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row_sql] * len(rows))} "  # noqa: S608
                f"RETURNING {quote(meta.pk.column)}",
                params,
            )
            for obj, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
    return list(objs)
