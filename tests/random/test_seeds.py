"""Seed semantics, as Keras 3's, eagerly and inside models on each backend: an int seed repeats,
a SeedGenerator advances (and a layer tracks it), None draws from a global generator that
``set_random_seed`` resets."""

from __future__ import annotations

import random as python_random

import numpy as np
import pytest

X = np.zeros((4, 3), np.float32)


# -- eagerly ----------------------------------------------------------------------------------
def test_an_int_seed_repeats(keras):
    a = keras.random.normal((5,), seed=7)
    np.testing.assert_array_equal(a, keras.random.normal((5,), seed=7))
    assert not np.array_equal(a, keras.random.normal((5,), seed=8))


def test_a_seed_generator_advances_in_a_sequence_its_seed_fixes(keras):
    gen = keras.random.SeedGenerator(42)
    np.testing.assert_array_equal(gen.state.numpy(), [42, 0])
    draws = [keras.random.uniform((4,), seed=gen) for _ in range(3)]
    np.testing.assert_array_equal(gen.state.numpy(), [42, 3])
    assert not np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[1], draws[2])
    again = keras.random.SeedGenerator(42)
    for d in draws:
        np.testing.assert_array_equal(d, keras.random.uniform((4,), seed=again))
    # Its first draw is the int seed's draw (both use the key [42, 0]), as in Keras.
    np.testing.assert_array_equal(draws[0], keras.random.uniform((4,), seed=42))


def test_next_returns_the_state_and_advances_it(keras):
    gen = keras.random.SeedGenerator(5)
    np.testing.assert_array_equal(gen.next(), [5, 0])
    np.testing.assert_array_equal(gen.next(), [5, 1])
    assert gen.get_config() == {"seed": 5, "name": gen.name}
    assert keras.random.SeedGenerator.from_config(gen.get_config()).name == gen.name


def test_seed_none_differs_call_to_call_and_repeats_after_set_random_seed(keras):
    keras.utils.set_random_seed(3)
    first = [keras.random.normal((4,)) for _ in range(3)]
    assert not np.array_equal(first[0], first[1])
    keras.utils.set_random_seed(3)
    for value in first:
        np.testing.assert_array_equal(value, keras.random.normal((4,)))
    keras.utils.set_random_seed(4)
    assert not np.array_equal(first[0], keras.random.normal((4,)))


def test_an_unseeded_generator_takes_its_seed_from_the_global_seed(keras):
    keras.utils.set_random_seed(11)
    a = keras.random.SeedGenerator()
    keras.utils.set_random_seed(11)
    b = keras.random.SeedGenerator()
    np.testing.assert_array_equal(a.state.numpy(), b.state.numpy())
    assert a.get_config()["seed"] is None
    python_random.seed(0)
    assert not np.array_equal(keras.random.SeedGenerator().state.numpy(), a.state.numpy())


@pytest.mark.parametrize("name, args", [
    ("truncated_normal", ((3,),)), ("randint", ((3,), 0, 100)), ("gamma", ((3,), 2.0)),
    ("beta", ((3,), 2.0, 2.0)), ("binomial", ((3,), 10, 0.5)),
    ("categorical", (np.zeros((2, 50)), 3)), ("shuffle", (np.arange(10),)),
    ("dropout", (np.ones(20, np.float32), 0.5)),
])
def test_every_function_follows_the_seed_rules(keras, name, args):
    fn = getattr(keras.random, name)
    np.testing.assert_array_equal(fn(*args, seed=1), fn(*args, seed=1))
    gen = keras.random.SeedGenerator(1)
    a, b = fn(*args, seed=gen), fn(*args, seed=gen)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(gen.state.numpy(), [1, 2])


# -- inside models ----------------------------------------------------------------------------
def _noise_layer(keras, seed, draws=1, training_only=False):
    ops = keras.ops

    class Noise(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = seed if seed is None or isinstance(seed, int) \
                else keras.random.SeedGenerator(seed[0])

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x, training=False):
            if training_only and not training:
                return x * self.w
            noise = [keras.random.normal(ops.shape(x), seed=self.seed_generator)
                     for _ in range(draws)]
            return x * self.w + sum(noise[1:], noise[0])

    return Noise()


def _model(keras, layer):
    inputs = keras.Input((3,))
    return keras.Model(inputs, layer(inputs))


def test_a_generator_in_a_layer_draws_anew_on_each_predict(keras):
    layer = _noise_layer(keras, seed=(9,))
    model = _model(keras, layer)
    start = layer.seed_generator.state.numpy()
    first, second = model.predict(X, verbose=0), model.predict(X, verbose=0)
    assert first.shape == (4, 3) and not np.array_equal(first, second)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), start + [0, 2])
    layer.seed_generator.state.assign(start)  # restoring the state replays the draws
    np.testing.assert_array_equal(model.predict(X, verbose=0), first)


def test_draws_within_one_call_differ(keras):
    two = _model(keras, _noise_layer(keras, seed=(9,), draws=2))
    one = _model(keras, _noise_layer(keras, seed=(9,), draws=1))
    # Two independent unit normals summed: variance 2, not the 4 of one draw used twice.
    x = np.zeros((5000, 3), np.float32)
    assert abs(two.predict(x, verbose=0).var() - 2.0) < 0.15
    assert abs(one.predict(x, verbose=0).var() - 1.0) < 0.1


def test_the_batch_size_may_be_known_only_at_run_time(keras):
    model = _model(keras, _noise_layer(keras, seed=(1,)))
    assert model.predict(np.zeros((7, 3), np.float32), verbose=0).shape == (7, 3)
    assert model.predict(np.zeros((2, 3), np.float32), batch_size=1, verbose=0).shape == (2, 3)


def test_an_int_seed_in_a_layer_repeats_and_matches_the_eager_draw(keras):
    model = _model(keras, _noise_layer(keras, seed=5))
    first = model.predict(X, verbose=0)
    np.testing.assert_array_equal(first, model.predict(X, verbose=0))
    np.testing.assert_array_equal(first, keras.random.normal((4, 3), seed=5))


def test_seed_none_in_a_layer_differs_per_run_and_repeats_after_set_random_seed(keras):
    def predictions():
        keras.backend.clear_session()
        keras.utils.set_random_seed(21)
        model = _model(keras, _noise_layer(keras, seed=None))
        return model.predict(X, verbose=0), model.predict(X, verbose=0)

    a1, a2 = predictions()
    assert not np.array_equal(a1, a2)
    b1, b2 = predictions()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)


def test_each_training_step_draws_anew_reproducibly(keras):
    def trained(generator_seed, steps=2):
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        layer = _noise_layer(keras, seed=(generator_seed,), training_only=True)
        model = _model(keras, layer)
        model.compile(optimizer="sgd", loss="mse")
        y = np.ones((4, 3), np.float32)
        model.fit(np.ones((4 * steps, 3), np.float32), np.concatenate([y] * steps),
                  batch_size=4, epochs=1, shuffle=False, verbose=0)
        return layer, layer.get_weights()[0]

    layer, w = trained(3)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [3, 2])  # one per step
    before = layer.seed_generator.state.numpy()
    layer(X)  # inference: this layer draws only in training
    _model(keras, layer).predict(X, verbose=0)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), before)
    np.testing.assert_array_equal(trained(3)[1], w)
    assert not np.array_equal(trained(4)[1], w)


def test_an_eager_layer_call_advances_its_generator(keras):
    layer = _noise_layer(keras, seed=(2,))
    a, b = layer(X), layer(X)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [2, 2])


def test_a_layer_tracks_its_generators_in_variables_not_weights(keras):
    layer = _noise_layer(keras, seed=(2,))
    model = _model(keras, layer)
    state = layer.seed_generator.state
    assert any(v is state for v in layer.variables)
    assert not any(v is state for v in layer.weights)
    assert any(v is state for v in model.variables)
    assert len(model.get_weights()) == 1 and model.count_params() == 3

    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = layer
            self.gens = [keras.random.SeedGenerator(1), keras.random.SeedGenerator(2)]

    outer = Outer()
    assert sum(v is state for v in outer.variables) == 1
    keys = [v.key for v in outer.variables]
    assert all(keys.count(g.state.key) == 1 for g in outer.gens)
    assert all(v is not g.state for v in outer.weights for g in outer.gens)


def test_weight_files_keep_the_keras_layout(keras, tmp_path):
    layer = _noise_layer(keras, seed=(2,))
    model = _model(keras, layer)
    model.predict(X, verbose=0)
    path = str(tmp_path / "noise.weights.h5")
    model.save_weights(path)
    model.load_weights(path)
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(3, np.float32))


def test_a_generator_from_a_cleared_session_says_so(keras):
    gen = keras.random.SeedGenerator(1)
    keras.backend.clear_session()
    inputs = keras.Input((3,))
    with pytest.raises(ValueError, match="earlier Keras session"):
        keras.random.normal(keras.ops.shape(inputs), seed=gen)


def test_every_function_works_symbolically_on_run_time_shapes(keras):
    ops, random = keras.ops, keras.random

    class Draws(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.gen = random.SeedGenerator(4)

        def call(self, x):
            batch = ops.shape(x)[0]
            g = self.gen
            parts = [
                random.dropout(x, 0.5, noise_shape=(None, 1), seed=g),
                random.shuffle(x, axis=1, seed=g),
                ops.cast(random.categorical(x, 3, seed=g), "float32"),
                random.uniform((batch, 3), seed=g), random.truncated_normal((batch, 3), seed=g),
                random.gamma((batch, 3), 2.0, seed=g), random.beta((batch, 3), 2.0, 2.0, seed=g),
                random.binomial((batch, 3), 5, 0.5, seed=g),
                ops.cast(random.randint((batch, 3), 0, 9, seed=g), "float32"),
            ]
            return ops.concatenate(parts, axis=1)

    layer = Draws()
    model = _model(keras, layer)
    x = np.tile(np.arange(3, dtype=np.float32), (6, 1))
    a, b = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert a.shape == (6, 27) and not np.array_equal(a, b)
    dropped = a[:, :3]
    assert all(len(set(np.flatnonzero(row == 0)) - {0}) in (0, 2) for row in dropped)
    np.testing.assert_array_equal(np.sort(a[:, 3:6], axis=1), x)
    assert set(np.unique(a[:, 6:9])) <= {0.0, 1.0, 2.0}
    assert set(np.unique(a[:, 24:27])) <= set(range(9))
    np.testing.assert_array_equal(layer.gen.state.numpy(), [4, 2])
