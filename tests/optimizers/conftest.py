"""Fixtures of the optimizer tests: a fresh Keras session on each backend."""

from __future__ import annotations

import pytest

from layerkit import backend


@pytest.fixture
def keras_session(active_backend):
    """The Keras graph and session, new for the test, on the active backend."""
    backend.clear_session()
    yield active_backend
    backend.clear_session()


@pytest.fixture
def fresh_keras():
    """A new Keras graph and session on the default backend (for tests of one backend)."""
    backend.clear_session()
    yield
    backend.clear_session()
