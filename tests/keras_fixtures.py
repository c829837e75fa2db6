"""Fixtures for Keras-API tests: a fresh Keras session on each backend, and a fixed seed."""

from __future__ import annotations

import pytest

import layerkit.backend as K


@pytest.fixture
def keras(active_backend):
    """A clean Keras session on each backend (the test runs once per backend); yields
    ``layerkit`` itself, so tests read like Keras scripts: ``keras.layers.Dense``."""
    import layerkit
    from layerkit import utils

    K.clear_session()
    utils.set_random_seed(1234)
    yield layerkit
    K.clear_session()
