"""Data: spelled-out employment types (FULL_TIME, PART_TIME, ...) become FT / PT, on employees and in the
values of employment-type filter rules, as the write path now keeps them (records.employment_type_code).

Backwards does nothing: the short codes are what those words meant, and a provider's next sync would spell
them again only if the write path were reverted too.
"""

from __future__ import annotations

import re

from django.db import migrations

SPELLED_OUT = {"FULL_TIME": "FT", "FULLTIME": "FT", "PART_TIME": "PT", "PARTTIME": "PT"}


def code(value: str) -> str:
    text = (value or "").strip().upper()
    return SPELLED_OUT.get(re.sub(r"[\s_-]+", "_", text), text)


def forwards(apps, schema_editor):
    Employee = apps.get_model("employees", "Employee")
    FilterRule = apps.get_model("mappings", "FilterRule")
    spelled = (
        Employee.objects.exclude(employment_type="").values_list("employment_type", flat=True).distinct()
    )
    for value in list(spelled):
        if code(value) != value:
            Employee.objects.filter(employment_type=value).update(employment_type=code(value))
    for rule in FilterRule.objects.filter(field="employment_type"):
        values = list(dict.fromkeys(code(str(v)) for v in rule.values))
        if values != rule.values:
            rule.values = values
            rule.save(update_fields=["values"])


class Migration(migrations.Migration):
    dependencies = [("employees", "0003_lifecycle_v2_ledger"), ("mappings", "0002_standard_codes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
