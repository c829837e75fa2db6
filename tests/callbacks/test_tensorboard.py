"""TensorBoard: real ``fit`` runs of tiny models on each backend, the event files read back with
TensorBoard's own reader and checked against the History, the optimizer and the weights."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")

EPOCHS, BATCH, STEPS = 3, 8, 4  # 40 samples, validation_split=0.2: 32 to train, 4 batches


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32) + 0.1)[:, None]
    return x, y.astype(np.float32)


def _model(keras, optimizer=None):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer or keras.optimizers.SGD(0.01), loss="mse",
                  metrics=["mae"])
    return model


def _read(directory):
    events = event_accumulator.EventAccumulator(
        str(directory), size_guidance={event_accumulator.SCALARS: 0,
                                       event_accumulator.HISTOGRAMS: 0})
    events.Reload()
    return events


def _scalars(events, tag):
    """(steps, values) of a scalar tag."""
    found = events.Scalars(tag)
    return [e.step for e in found], [e.value for e in found]


def _fit(keras, tmp_path, model=None, callbacks=(), before=(), **tensorboard_args):
    model = model or _model(keras)
    x, y = _data()
    tensorboard = keras.callbacks.TensorBoard(log_dir=tmp_path / "logs", **tensorboard_args)
    history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, validation_split=0.2,
                        shuffle=False, verbose=0, callbacks=[*before, tensorboard, *callbacks])
    return model, history, _read(tmp_path / "logs" / "train"), _read(
        tmp_path / "logs" / "validation")


@pytest.mark.parametrize("update_freq", ["epoch", "batch", 3])
def test_scalars_match_history_and_steps(keras, tmp_path, update_freq):
    model, history, train, val = _fit(keras, tmp_path, update_freq=update_freq,
                                      histogram_freq=1)
    h = history.history
    batch_tags = {"batch_loss", "batch_mae"} if update_freq != "epoch" else set()
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_mae",
                                            "epoch_learning_rate"} | batch_tags
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_mae",
                                          "evaluation_loss_vs_iterations",
                                          "evaluation_mae_vs_iterations"}
    # Epoch scalars: the History values, at step = epoch; val_<name> as epoch_<name>.
    for name in ("loss", "mae"):
        steps, values = _scalars(train, f"epoch_{name}")
        assert steps == list(range(EPOCHS))
        np.testing.assert_allclose(values, h[name], rtol=1e-6)
        steps, values = _scalars(val, f"epoch_{name}")
        assert steps == list(range(EPOCHS))
        np.testing.assert_allclose(values, h[f"val_{name}"], rtol=1e-6)
        # Each validation also as evaluation_<name>_vs_iterations, at optimizer.iterations.
        steps, values = _scalars(val, f"evaluation_{name}_vs_iterations")
        assert steps == [STEPS * (e + 1) for e in range(EPOCHS)]
        np.testing.assert_allclose(values, h[f"val_{name}"], rtol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == STEPS * EPOCHS
    steps, values = _scalars(train, "epoch_learning_rate")
    assert steps == list(range(EPOCHS))
    np.testing.assert_allclose(values, [0.01] * EPOCHS, rtol=1e-6)
    # Batch scalars: every N-th training batch, at step = the batches run so far (from 1).
    if update_freq != "epoch":
        every = 1 if update_freq == "batch" else update_freq
        expected = list(range(every, STEPS * EPOCHS + 1, every))
        for name in ("loss", "mae"):
            steps, values = _scalars(train, f"batch_{name}")
            assert steps == expected
            # The running value after an epoch's last batch is that epoch's value.
            by_step = dict(zip(steps, values))
            for epoch in range(EPOCHS):
                if STEPS * (epoch + 1) in by_step:
                    assert by_step[STEPS * (epoch + 1)] == pytest.approx(h[name][epoch],
                                                                          rel=1e-6)


def test_weight_histograms(keras, tmp_path):
    model, _, train, val = _fit(keras, tmp_path, histogram_freq=2)
    weights = [(w, value) for layer in model.layers
               for w, value in zip(layer.weights, layer.get_weights())]
    assert len(weights) == 8  # kernels, biases, and batch norm's four (moving ones too)
    tags = {f"{w.path}/histogram" for w, _ in weights}
    assert "dense/kernel/histogram" in tags
    assert "batch_normalization/moving_variance/histogram" in tags
    assert set(train.Tags()["histograms"]) == tags
    assert val.Tags()["histograms"] == []
    for w, value in weights:
        found = train.Histograms(f"{w.path}/histogram")
        assert [e.step for e in found] == [0, 2]  # every histogram_freq epochs, from epoch 0
        last = found[-1].histogram_value  # epoch 2 is the last: the weights as they are now
        assert last.num == value.size
        assert last.min == pytest.approx(float(value.min()), rel=1e-6, abs=1e-7)
        assert last.max == pytest.approx(float(value.max()), rel=1e-6, abs=1e-7)
        assert last.sum == pytest.approx(float(value.astype(np.float64).sum()), abs=1e-5)
        assert sum(last.bucket) == value.size


def test_learning_rate_from_scheduler_and_schedule(keras, tmp_path):
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    for order, args in (("after", {"callbacks": [scheduler]}),
                        ("before", {"before": [scheduler]})):
        keras.backend.clear_session()
        _, history, train, _ = _fit(keras, tmp_path / order, **args)
        _, values = _scalars(train, "epoch_learning_rate")
        np.testing.assert_allclose(values, [0.1, 0.05, 0.025], rtol=1e-6)
        np.testing.assert_allclose(values, history.history["learning_rate"], rtol=1e-6)
        # The scheduler's learning_rate log (there when it runs first) is the same one tag.
        assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_mae",
                                                "epoch_learning_rate"}

    keras.backend.clear_session()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=STEPS,
                                                           decay_rate=0.5)
    model = _model(keras, keras.optimizers.SGD(schedule))
    _, _, train, _ = _fit(keras, tmp_path / "schedule", model=model)
    # Read at each epoch end: the schedule at optimizer.iterations = 4, 8, 12.
    _, values = _scalars(train, "epoch_learning_rate")
    np.testing.assert_allclose(values, [0.05, 0.025, 0.0125], rtol=1e-6)


def test_steps_per_second(keras, tmp_path):
    _, _, train, _ = _fit(keras, tmp_path, update_freq=2, write_steps_per_second=True)
    assert {"epoch_steps_per_second", "batch_steps_per_second"} <= set(
        train.Tags()["scalars"])
    steps, values = _scalars(train, "epoch_steps_per_second")
    assert steps == list(range(EPOCHS)) and all(v > 0 for v in values)
    steps, values = _scalars(train, "batch_steps_per_second")
    assert steps == list(range(2, STEPS * EPOCHS + 1, 2)) and all(v > 0 for v in values)


def test_events_are_on_disk_at_each_epoch_end_and_closed_at_train_end(keras, tmp_path):
    seen = []

    def read_back(epoch, logs):
        train = _read(tmp_path / "logs" / "train")
        seen.append([e.step for e in train.Scalars("epoch_loss")])
        seen[-1].append(len(train.Histograms("dense/kernel/histogram")))

    reader = keras.callbacks.LambdaCallback(on_epoch_end=read_back)
    _fit(keras, tmp_path, histogram_freq=1, callbacks=[reader])
    assert seen == [[0, 1], [0, 1, 2], [0, 1, 2, 3]]  # the steps so far, then histograms

    # A run stopped early is closed too: on_train_end runs.
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e9, patience=1)
    keras.backend.clear_session()
    tensorboard = keras.callbacks.TensorBoard(tmp_path / "early")
    x, y = _data()
    history = _model(keras).fit(x, y, epochs=10, batch_size=BATCH, verbose=0,
                                callbacks=[tensorboard, stop])
    assert len(history.history["loss"]) == 2
    assert tensorboard._writers == {}
    assert _scalars(_read(tmp_path / "early" / "train"), "epoch_loss")[0] == [0, 1]
    assert not (tmp_path / "early" / "validation").exists()  # made only when written to


def test_evaluate_writes_evaluation_scalars(keras, tmp_path):
    model, _, _, _ = _fit(keras, tmp_path)
    x, y = _data()
    tensorboard = keras.callbacks.TensorBoard(tmp_path / "eval")
    logs = model.evaluate(x, y, verbose=0, callbacks=[tensorboard], return_dict=True)
    val = _read(tmp_path / "eval" / "validation")  # flushed at test end
    assert set(val.Tags()["scalars"]) == {"evaluation_loss_vs_iterations",
                                          "evaluation_mae_vs_iterations"}
    steps, values = _scalars(val, "evaluation_loss_vs_iterations")
    assert steps == [STEPS * EPOCHS]
    assert values[0] == pytest.approx(logs["loss"], rel=1e-6)
    assert not (tmp_path / "eval" / "train").exists()


def test_validation_is_written_once_when_the_loop_calls_on_test_end(keras, tmp_path):
    """Keras's fit runs its validation through evaluate, which calls on_test_end; when the
    loop does that, the epoch end does not write the evaluation scalars a second time."""
    model = _model(keras)
    tensorboard = keras.callbacks.TensorBoard(tmp_path)
    tensorboard.set_model(model)
    tensorboard.on_train_begin()
    tensorboard.on_epoch_begin(0)
    tensorboard.on_test_begin()
    tensorboard.on_test_end({"loss": 0.5, "mae": 0.25})
    tensorboard.on_epoch_end(0, {"loss": 1.0, "mae": 0.75, "val_loss": 0.5, "val_mae": 0.25})
    tensorboard.on_train_end()
    val = _read(tmp_path / "validation")
    assert _scalars(val, "evaluation_loss_vs_iterations") == ([0], [0.5])
    assert _scalars(val, "epoch_mae") == ([0], [0.25])


def test_missing_tensorboardx_says_how_to_install(keras, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if not installed
    with pytest.raises(ImportError, match=r'TensorBoard.*pip install "layerkit\[tensorboard\]"'):
        keras.callbacks.TensorBoard(tmp_path)  # when made, not at the first epoch end


@pytest.mark.parametrize("kwargs, argument", [
    ({"write_images": True}, "write_images"),
    ({"profile_batch": 2}, "profile_batch"),
    ({"profile_batch": (2, 5)}, "profile_batch"),
    ({"profile_batch": "1,3"}, "profile_batch"),
    ({"embeddings_freq": 1}, "embeddings_freq"),
])
def test_unsupported_arguments(keras, tmp_path, kwargs, argument):
    with pytest.raises(NotImplementedError, match=argument):
        keras.callbacks.TensorBoard(tmp_path, **kwargs)


def test_argument_checks_and_accepted_values(keras, tmp_path):
    for bad in ({"update_freq": 0}, {"update_freq": "step"}, {"histogram_freq": -1},
                {"profile_batch": -1}, {"profile_batch": (5, 2)}, {"profile_batch": "a"}):
        with pytest.raises(ValueError):
            keras.callbacks.TensorBoard(tmp_path, **bad)
    tensorboard = keras.callbacks.TensorBoard(
        tmp_path, write_graph=False, profile_batch=(0, 0), embeddings_metadata="meta.tsv",
        update_freq="batch")
    assert tensorboard.update_freq == 1 and tensorboard.write_graph is False
    keras.callbacks.TensorBoard(tmp_path, profile_batch="0", write_graph=True)
    assert not tmp_path.joinpath("train").exists()  # nothing written until training
