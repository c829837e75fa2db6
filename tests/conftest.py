"""Shared fixtures: every test that takes ``backend`` runs once per available backend."""

from __future__ import annotations

import os

import pytest

import layerkit.graph as lk
import layerkit_backend
from tests.keras3 import keras3  # noqa: F401  (real Keras 3 in a child process, or a skip)
from tests.keras_fixtures import keras  # noqa: F401  (the `keras` fixture, for every test)


def _backends() -> list[str]:
    chosen = os.environ.get("LAYERKIT_TEST_BACKENDS")
    names = chosen.split(",") if chosen else list(layerkit_backend.available_backends())
    usable = []
    for name in names:
        try:
            layerkit_backend.get_backend(name)
        except ImportError:
            continue
        usable.append(name)
    return usable


BACKENDS = _backends()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The name of a backend; the test runs once for each."""
    return request.param


@pytest.fixture
def active_backend(backend):
    """Like ``backend``, and also makes it the active one (for code that calls ``Session()``)."""
    previous = layerkit_backend.backend().name
    layerkit_backend.set_backend(backend)
    yield backend
    layerkit_backend.set_backend(previous)


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Each test starts with an empty default graph."""
    lk.reset_default_graph()
    yield
    lk.reset_default_graph()
