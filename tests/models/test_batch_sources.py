"""``fit``/``evaluate``/``predict`` on generators, iterators and ``keras.utils.PyDataset``:
the same batches give the same weights as arrays; bad batches are named by index and leave the
weights as they were before the failing step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from layerkit.utils import PyDataset

BATCH = 8


def _data(n=37, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


def _batches(x, y):
    """The batches ``fit(x, y, batch_size=BATCH, shuffle=False)`` makes (the last smaller)."""
    return [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)]


class ArrayBatches(PyDataset):
    """A PyDataset over arrays; module level, so worker processes can import it."""

    def __init__(self, x, y, length=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.length = x, y, length
        self.epochs_ended = self.reads = 0

    def __len__(self):
        return self.length if self.length is not None else -(-len(self.x) // BATCH)

    def __getitem__(self, index):
        self.reads += 1  # in a worker process, the worker's copy counts
        rows = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _model(keras):
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def _fit_arrays(keras, x, y, epochs=2):
    model = _model(keras)
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    return model, history.history


def _assert_same_training(model, history, reference):
    ref_model, ref_history = reference
    for got, want in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert list(history) == list(ref_history)
    for name in ref_history:
        np.testing.assert_allclose(history[name], ref_history[name], rtol=1e-5)


def test_a_generator_trains_as_the_same_batches_from_arrays(keras):
    x, y = _data()
    reference = _fit_arrays(keras, x, y)
    batches = _batches(x, y)

    def endless():
        while True:
            yield from batches

    model = _model(keras)
    history = model.fit(endless(), steps_per_epoch=len(batches), epochs=2, verbose=0)
    _assert_same_training(model, history.history, reference)
    assert len(model._programs) == 1  # batches of 8 and of 5: one program, batch size free


def test_an_iterator_and_a_pydataset_train_the_same(keras):
    x, y = _data()
    reference = _fit_arrays(keras, x, y)
    model = _model(keras)
    # An iterator (not a generator) of a finite list: steps_per_epoch takes one epoch's worth.
    stream = iter(_batches(x, y) * 2)
    history = model.fit(stream, steps_per_epoch=5, epochs=2, verbose=0)
    _assert_same_training(model, history.history, reference)
    dataset = ArrayBatches(x, y)
    model = _model(keras)
    history = model.fit(dataset, epochs=2, shuffle=False, verbose=0)
    _assert_same_training(model, history.history, reference)
    assert dataset.epochs_ended == 2


@pytest.mark.parametrize("processes", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_a_pydataset_read_by_two_workers_trains_the_same(keras, processes):
    x, y = _data()
    reference = _fit_arrays(keras, x, y)
    dataset = ArrayBatches(x, y, workers=2, use_multiprocessing=processes, max_queue_size=3)
    model = _model(keras)
    history = model.fit(dataset, epochs=2, shuffle=False, verbose=0)
    _assert_same_training(model, history.history, reference)
    assert dataset.reads == (0 if processes else 10)  # 2 epochs of 5 batches, read here or not
    assert dataset.epochs_ended == 2


def test_evaluate_and_predict_take_sources(keras):
    x, y = _data()
    model = _model(keras)
    want = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    got = model.evaluate(ArrayBatches(x, y), verbose=0, return_dict=True)
    assert got == pytest.approx(want, rel=1e-6)
    got = model.evaluate(iter(_batches(x, y)), verbose=0, return_dict=True)
    assert got == pytest.approx(want, rel=1e-6)
    predicted = model.predict(x, batch_size=BATCH, verbose=0)
    from_batches = model.predict((xb for xb, _ in _batches(x, y)), verbose=0)
    np.testing.assert_allclose(from_batches, predicted, rtol=1e-6)
    # predict ignores the targets of (x, y) batches
    np.testing.assert_allclose(model.predict(ArrayBatches(x, y), verbose=0), predicted,
                               rtol=1e-6)


def test_validation_data_from_a_generator(keras):
    x, y = _data()
    model = _model(keras)
    validation = (b for _ in range(2) for b in _batches(x, y))
    history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                        validation_data=validation, validation_steps=5)
    assert {"val_loss", "val_mae"} <= set(history.history)
    # the last epoch's validation ran after its training: the model as it ends
    final = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-5)


class _Snapshot:
    """Keeps the weights after each batch, to compare with those a failing step leaves."""

    @staticmethod
    def callback(keras, store):
        class Snapshot(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                store.append([w.copy() for w in self.model.get_weights()])

        return Snapshot()


def _assert_weights(model, want):
    for got, expected in zip(model.get_weights(), want):
        np.testing.assert_array_equal(got, expected)


def test_a_batch_of_another_structure_is_named_and_leaves_the_weights(keras):
    x, y = _data()
    batches = _batches(x, y)
    bad = [batches[0], batches[1], (batches[2][0],), batches[3]]  # batch 2 lost its y
    model = _model(keras)
    seen = []
    with pytest.raises(ValueError, match=r"batch 2 of the generator is \(x\) with x one array, "
                       r"but the first batch was \(x, y\) with x one array, y one array"):
        model.fit((b for b in bad), epochs=1, verbose=0,
                  callbacks=[_Snapshot.callback(keras, seen)])
    assert len(seen) == 2
    _assert_weights(model, seen[-1])


def test_a_batch_of_another_shape_is_named_and_leaves_the_weights(keras):
    x, y = _data()
    batches = _batches(x, y)
    wide = np.ones((BATCH, 4), np.float32)
    model = _model(keras)
    seen = []
    with pytest.raises(ValueError, match=r"fit\(\): batch 1 of the iterator \(list_iterator\): "
                       r"Input 0 of model .* expects arrays of shape \(None, 3\), got an "
                       r"array of shape \(8, 4\)"):
        model.fit(iter([batches[0], (wide, batches[1][1])]), epochs=1, verbose=0,
                  callbacks=[_Snapshot.callback(keras, seen)])
    _assert_weights(model, seen[-1])
    with pytest.raises(ValueError,
                       match=r"batch 0 of the iterator \(list_iterator\): Data cardinality"):
        model.fit(iter([(x[:8], y[:5])]), verbose=0)


def test_a_pydataset_whose_len_lies(keras):
    x, y = _data(n=32)  # four full batches
    model = _model(keras)
    seen = []
    with pytest.raises(ValueError, match=r"batch 4 of the PyDataset \(ArrayBatches\) has no "
                       r"samples \(its __len__ is 6"):
        model.fit(ArrayBatches(x, y, length=6), shuffle=False, verbose=0,
                  callbacks=[_Snapshot.callback(keras, seen)])
    assert len(seen) == 4
    _assert_weights(model, seen[-1])

    class Strict(ArrayBatches):
        def __getitem__(self, index):
            if index * BATCH >= len(self.x):
                raise IndexError(f"batch {index} is past the end")
            return super().__getitem__(index)

    with pytest.raises(IndexError, match=r"Strict.__getitem__\(4\) failed \(its __len__ is 5\)"
                       r": IndexError: batch 4 is past the end"):
        model.fit(Strict(x, y, length=5, workers=2), shuffle=False, verbose=0)


def test_source_arguments_that_do_not_apply_are_errors(keras):
    x, y = _data()
    model = _model(keras)
    with pytest.raises(ValueError, match=r"when x is a generator, `y` must not be passed"):
        model.fit((b for b in _batches(x, y)), y, verbose=0)
    with pytest.raises(ValueError, match="validation_split is only supported for arrays"):
        model.fit(ArrayBatches(x, y), validation_split=0.2, verbose=0)
    with pytest.raises(TypeError, match=r"fit\(\): x must be numpy arrays .* got object"):
        model.fit(object(), y, verbose=0)


def test_a_generator_that_runs_out_stops_training_with_a_warning(keras):
    x, y = _data()
    model = _model(keras)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit((b for b in _batches(x, y)), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1  # the first epoch read it all
    assert any("ran out of data" in str(w.message) for w in caught)


def test_each_new_batch_size_compiles_once_on_jax(keras, backend):
    if backend != "jax":
        pytest.skip("compilations are the jax backend's")
    sizes = [8, 8, 5, 8, 5, 3, 8]
    x, y = _data(n=sum(sizes))
    starts = np.cumsum([0, *sizes[:-1]])
    model = _model(keras)
    model.fit(iter([(x[:8], y[:8])]), verbose=0)  # traced and compiled for batches of 8
    session = keras.backend.get_session()
    before = session.backend.compilations
    batches = [(x[s:s + n], y[s:s + n]) for s, n in zip(starts, sizes)]
    model.fit(iter(batches), verbose=0)
    assert session.backend.compilations - before == 2  # sizes 5 and 3; 8 was compiled
    assert len(model._programs) == 1


def test_a_generator_validates_on_arrays_too(keras):
    x, y = _data()
    model = _model(keras)
    history = model.fit((b for _ in range(2) for b in _batches(x, y)), steps_per_epoch=5,
                        epochs=2, validation_data=(x, y), verbose=0)
    assert {"val_loss", "val_mae"} <= set(history.history)
    final = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-5)
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer or None"):
        model.fit(iter(_batches(x, y)), steps_per_epoch=0, verbose=0)
