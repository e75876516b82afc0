"""The randomized campaign of employee lives (tests/employees/campaign.py), CI-sized.

``bench/lifecycle_campaign.py --events 10000`` runs the same machine at scale and prints events/s.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.employees.campaign import Campaign

pytestmark = pytest.mark.django_db


def test_random_lives_in_random_splits_and_orders_keep_every_invariant():
    run_state_machine_as_test(
        Campaign,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # no shrinking: a failure prints its whole run at once instead of minutes later
            phases=(Phase.explicit, Phase.reuse, Phase.generate),
        ),
    )
