"""The README's main job: the digits demo trains and reaches a real test accuracy."""

from __future__ import annotations

from layerkit import demo


def test_demo_learns_digits(active_backend, capsys):
    accuracy = demo.main(["--epochs", "10", "--backend", active_backend])
    out = capsys.readouterr().out
    assert f"backend: {active_backend}" in out
    assert out.count("Epoch ") == 10
    assert "test accuracy:" in out
    assert accuracy >= 0.95  # chance is 0.10; a broken gradient or optimizer stays far below
