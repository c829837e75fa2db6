"""``layerkit.models.data``: how user arrays become batches and program calls."""

from __future__ import annotations

import numpy as np

from layerkit.models import data as D


def test_groups_stack_full_runs_of_equal_batches_and_leave_the_rest_single():
    batches = [np.arange(k, k + 4) for k in range(0, 28, 4)] + [np.arange(28, 30)]
    groups = list(D.groups_of_equal_size(iter(batches), 3))
    # 7 batches of 4 and one of 2: two stacks of 3, then the 7th and the short one alone.
    assert [g.shape for g in groups] == [(3, 4), (3, 4), (1, 4), (1, 2)]
    np.testing.assert_array_equal(np.concatenate([g.ravel() for g in groups]), np.arange(30))
    assert [g.shape for g in D.groups_of_equal_size(iter(batches), 1)] == [(1, 4)] * 7 + [(1, 2)]
