"""Conv1D and Conv2D: outputs against a loop-by-loop numpy reference, shapes, config, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests import keras_fixtures

keras = keras_fixtures.keras  # the fixture: a clean Keras session, once per backend


def conv_reference(x, kernel, bias, strides, padding, dilation):
    """Cross-correlation, channels_last, one output element at a time (TensorFlow's padding:
    "same" pads ``max((out - 1) * stride + span - size, 0)``, the odd element after)."""
    n = kernel.ndim - 2
    spans = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:n], dilation)]
    sizes = x.shape[1:-1]
    if padding == "causal":
        x = np.pad(x, [(0, 0), (spans[0] - 1, 0), (0, 0)])
        padding, sizes = "valid", x.shape[1:-1]
    if padding == "same":
        outs = [-(-size // s) for size, s in zip(sizes, strides)]
        pads = [max((o - 1) * s + span - size, 0)
                for o, s, span, size in zip(outs, strides, spans, sizes)]
        x = np.pad(x, [(0, 0), *[(p // 2, p - p // 2) for p in pads], (0, 0)])
    else:
        outs = [(size - span) // s + 1 for size, span, s in zip(sizes, spans, strides)]
    out = np.zeros((x.shape[0], *outs, kernel.shape[-1]))
    for b in range(x.shape[0]):
        for pos in itertools.product(*map(range, outs)):
            for tap in itertools.product(*map(range, kernel.shape[:n])):
                at = tuple(p * s + t * d for p, s, t, d in zip(pos, strides, tap, dilation))
                out[(b, *pos)] += x[(b, *at)] @ kernel[tap]
    return out + (0 if bias is None else bias)


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _run(keras, layer, x):
    layer(keras.Input(shape=x.shape[1:]))
    kernel = _random(layer.kernel.shape, 1)
    weights = [kernel]
    if layer.use_bias:
        weights.append(_random(layer.bias.shape, 2))
    layer.set_weights(weights)
    return layer(x), weights


CONV2D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=(2, 3), padding="same"),
    dict(kernel_size=3, strides=2),
    dict(kernel_size=(3, 2), strides=(2, 1), padding="same"),
    dict(kernel_size=2, dilation_rate=2),
    dict(kernel_size=3, dilation_rate=(1, 2), padding="same", use_bias=False),
]


@pytest.mark.parametrize("kwargs", CONV2D_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in
                                                                        k.items()))
def test_conv2d_matches_reference(keras, kwargs):
    x = _random((2, 6, 7, 3), 0)
    layer = keras.layers.Conv2D(4, **kwargs)
    out, weights = _run(keras, layer, x)
    expected = conv_reference(x, weights[0], weights[1] if len(weights) > 1 else None,
                              layer.strides, layer.padding, layer.dilation_rate)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3), dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=2, dilation_rate=3), dict(kernel_size=3, padding="causal"),
    dict(kernel_size=2, padding="causal", dilation_rate=2),
    dict(kernel_size=3, padding="causal", strides=2),
], ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_conv1d_matches_reference(keras, kwargs):
    x = _random((3, 9, 2), 0)
    layer = keras.layers.Conv1D(5, **kwargs)
    out, (kernel, bias) = _run(keras, layer, x)
    expected = conv_reference(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_causal_output_never_sees_the_future(keras):
    layer = keras.layers.Conv1D(1, 3, padding="causal", dilation_rate=2)
    x = _random((1, 10, 1), 0)
    later = x.copy()
    later[:, 6:] += 5.0  # change only steps 6..9
    layer(keras.Input(shape=(10, 1)))
    np.testing.assert_allclose(layer(x)[:, :6], layer(later)[:, :6], rtol=1e-6)


def test_activation_is_applied(keras):
    x = _random((2, 5, 5, 1), 0)
    plain = keras.layers.Conv2D(3, 2, kernel_initializer="ones", bias_initializer="ones")
    relu = keras.layers.Conv2D(3, 2, kernel_initializer="ones", bias_initializer="ones",
                               activation="relu")
    np.testing.assert_allclose(relu(x), np.maximum(plain(x), 0.0), rtol=1e-6)


def test_weights_and_output_shapes_with_unknown_batch(keras):
    layer = keras.layers.Conv2D(8, (3, 2), strides=(2, 1), padding="same")
    out = layer(keras.Input(shape=(9, 6, 3)))
    assert tuple(out.shape) == (None, 5, 6, 8)
    assert [tuple(w.shape) for w in layer.weights] == [(3, 2, 3, 8), (8,)]
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == 3 * 2 * 3 * 8 + 8
    assert layer.compute_output_shape((None, 9, 6, 3)) == (None, 5, 6, 8)
    conv1d = keras.layers.Conv1D(4, 3, use_bias=False)
    assert tuple(conv1d(keras.Input(shape=(None, 2))).shape) == (None, None, 4)
    assert len(conv1d.weights) == 1
    assert conv1d.compute_output_shape((None, 10, 2)) == (None, 8, 4)
    assert keras.layers.Conv1D(4, 3, padding="causal", strides=2).compute_output_shape(
        (7, 10, 2)) == (7, 5, 4)


def test_a_cnn_is_built_in_a_sequential_model(keras):
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)),
                              keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              keras.layers.Conv2D(2, 3)])
    assert model.compute_output_shape((None, 8, 8, 1)) == (None, 6, 6, 2)
    assert model.predict(np.zeros((3, 8, 8, 1), np.float32), verbose=0).shape == (3, 6, 6, 2)


def test_keras_defaults_and_config_round_trip(keras):
    layer = keras.layers.Conv2D(16, 3)
    config = layer.get_config()
    assert {k: config[k] for k in ("filters", "kernel_size", "strides", "padding", "data_format",
                                   "dilation_rate", "groups", "activation", "use_bias")} == {
        "filters": 16, "kernel_size": (3, 3), "strides": (1, 1), "padding": "valid",
        "data_format": "channels_last", "dilation_rate": (1, 1), "groups": 1,
        "activation": "linear", "use_bias": True}
    layer = keras.layers.Conv1D(4, 5, strides=2, padding="SAME", activation="tanh",
                                use_bias=False, kernel_initializer="he_normal",
                                kernel_regularizer="l2", name="c1")
    config = layer.get_config()
    assert config["padding"] == "same" and config["kernel_size"] == (5,)
    clone = keras.layers.Conv1D.from_config(config)
    assert clone.get_config() == config
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(restored, keras.layers.Conv1D)
    assert restored.get_config() == config
    # Keras files hold lists where layerkit writes tuples.
    as_json = {**config, "kernel_size": [5], "strides": [2], "dilation_rate": [1]}
    assert keras.layers.Conv1D.from_config(as_json).get_config() == config


def test_aliases(keras):
    assert keras.layers.Convolution2D is keras.layers.Conv2D
    assert keras.layers.Convolution1D is keras.layers.Conv1D


def test_kernel_regularizer_adds_a_penalty(keras):
    layer = keras.layers.Conv2D(2, 2, kernel_regularizer="l2", bias_regularizer="l1")
    layer(keras.Input(shape=(4, 4, 1)))
    assert len(layer.regularization_losses()) == 2


def test_wrong_rank_names_the_layer_and_shapes(keras):
    layer = keras.layers.Conv2D(4, 3, name="c")
    with pytest.raises(ValueError, match=r"Layer 'c' \(Conv2D\) cannot take inputs of shape "
                                         r"\(None, 8\): expected inputs of rank 4 \(batch, rows, "
                                         r"cols, channels\)"):
        layer(keras.Input(shape=(8,)))
    layer(keras.Input(shape=(8, 8, 1)))
    with pytest.raises(ValueError, match=r"Conv2D 'c' expects inputs of rank 4 .*got shape "
                                         r"\(None, 8, 8\)"):
        layer(keras.Input(shape=(8, 8)))
    with pytest.raises(ValueError, match=r"Conv1D 'c1' expects inputs of rank 3"):
        keras.layers.Conv1D(4, 3, name="c1").compute_output_shape((None, 8, 8, 1))


def test_changed_channels_are_refused(keras):
    layer = keras.layers.Conv2D(4, 3, name="c")
    layer(keras.Input(shape=(8, 8, 3)))
    with pytest.raises(ValueError, match=r"Conv2D 'c' was built for inputs with 3 channels "
                                         r"\(last dimension\), got shape \(None, 8, 8, 5\)"):
        layer(keras.Input(shape=(8, 8, 5)))
    with pytest.raises(ValueError, match="channel .*must be known"):
        keras.layers.Conv2D(4, 3)(keras.Input(shape=(8, 8, None)))


def test_kernel_larger_than_the_input_is_refused(keras):
    with pytest.raises(ValueError, match=r"Conv2D 'c': the kernel spans \(5, 5\).*\(None, 4, 4, "
                                         r"1\) with padding='valid'"):
        keras.layers.Conv2D(2, 3, dilation_rate=2, name="c")(keras.Input(shape=(4, 4, 1)))
    out = keras.layers.Conv2D(2, 5, padding="same")(keras.Input(shape=(4, 4, 1)))
    assert tuple(out.shape) == (None, 4, 4, 2)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(filters=0), ValueError, "filters must be a positive int"),
    (dict(kernel_size=(3, 3, 3)), ValueError, "kernel_size must be an int or a tuple of 2"),
    (dict(strides=0), ValueError, "strides must be positive"),
    (dict(padding="full"), ValueError, "padding must be one of 'valid', 'same', got 'full'"),
    (dict(padding="causal"), ValueError, "padding must be one of 'valid', 'same'"),
    (dict(strides=2, dilation_rate=2), ValueError, "strides .* together with dilation_rate"),
    (dict(data_format="nhwc"), ValueError, "data_format must be"),
    (dict(groups=3), ValueError, r"filters \(4\) must be a multiple of groups \(3\)"),
    (dict(groups=0), ValueError, "groups must be a positive int"),
    (dict(kernel_constraint="no_such"), ValueError, "Could not interpret constraint"),
])
def test_bad_arguments_are_refused(keras, kwargs, error, match):
    args = {"filters": 4, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=f"(Conv2D 'conv.*': )?.*{match}"):
        keras.layers.Conv2D(**args)


# -- the rest of the family: groups, 3-D, transposed, depthwise, separable, channels_first ------
def _weights_for(layer, seed=1):
    weights = [_random(w.shape, seed + i) for i, w in enumerate(layer.get_weights())]
    layer.set_weights(weights)
    return weights


def _grouped_reference(x, kernel, bias, groups, **geometry):
    c, o = x.shape[-1] // groups, kernel.shape[-1] // groups
    out = np.concatenate([conv_reference(x[..., g * c:(g + 1) * c], kernel[..., g * o:(g + 1) * o],
                                         None, **geometry) for g in range(groups)], -1)
    return out + bias


def test_conv_groups(keras):
    x = _random((2, 6, 5, 4), 0)
    layer = keras.layers.Conv2D(6, 3, groups=2, padding="same")
    layer(x)
    kernel, bias = _weights_for(layer)
    assert kernel.shape == (3, 3, 2, 6)
    np.testing.assert_allclose(layer(x), _grouped_reference(
        x, kernel, bias, 2, strides=(1, 1), padding="same", dilation=(1, 1)), rtol=1e-4,
        atol=1e-4)


def test_conv3d(keras):
    x = _random((2, 4, 5, 3, 2), 0)
    layer = keras.layers.Conv3D(3, (2, 3, 2), strides=(1, 2, 1))
    layer(x)
    kernel, bias = _weights_for(layer)
    np.testing.assert_allclose(layer(x), conv_reference(x, kernel, bias, (1, 2, 1), "valid",
                                                        (1, 1, 1)), rtol=1e-4, atol=1e-4)


def _transpose_reference(y, kernel, bias, strides, padding):
    """The adjoint of the convolution with this kernel (in/out channels swapped), on Keras's
    output sizes: ``<conv_transpose(y), x> == <y, conv(x)>`` for every x."""
    n = kernel.ndim - 2
    ks = kernel.shape[:n]
    sizes = [d * s + (max(k - s, 0) if padding == "valid" else 0)
             for d, s, k in zip(y.shape[1:-1], strides, ks)]
    before = [0] * n
    if padding == "same":
        before = [max((d - 1) * s + k - size, 0) // 2
                  for d, s, k, size in zip(y.shape[1:-1], strides, ks, sizes)]
    out = np.zeros((y.shape[0], *sizes, kernel.shape[-2]))
    for pos in itertools.product(*map(range, y.shape[1:-1])):
        for tap in itertools.product(*map(range, ks)):
            at = [p * s + t - b for p, s, t, b in zip(pos, strides, tap, before)]
            if all(0 <= a < size for a, size in zip(at, sizes)):
                out[(slice(None), *at)] += y[(slice(None), *pos)] @ kernel[tap].T
    return out + bias


@pytest.mark.parametrize("cls, x_shape, kwargs", [
    ("Conv1DTranspose", (2, 5, 3), dict(filters=2, kernel_size=3, strides=2)),
    ("Conv2DTranspose", (2, 3, 4, 2), dict(filters=3, kernel_size=3, strides=2,
                                            padding="same")),
    ("Conv2DTranspose", (1, 3, 3, 2), dict(filters=2, kernel_size=(2, 3), strides=(3, 1))),
    ("Conv3DTranspose", (1, 2, 3, 2, 2), dict(filters=2, kernel_size=2, strides=2,
                                               padding="same")),
])
def test_conv_transpose(keras, cls, x_shape, kwargs):
    x = _random(x_shape, 0)
    layer = getattr(keras.layers, cls)(**kwargs)
    layer(x)
    kernel, bias = _weights_for(layer)
    assert kernel.shape == (*layer.kernel_size, kwargs["filters"], x_shape[-1])
    expected = _transpose_reference(x, kernel, bias, layer.strides, layer.padding)
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape((None, *x_shape[1:])) == (None, *out.shape[1:])


def test_conv_transpose_undoes_the_shape_of_a_strided_conv(keras):
    inputs = keras.Input((16, 16, 3))
    down = keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    up = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same")(down)
    assert tuple(up.shape) == (None, 16, 16, 3)
    model = keras.Model(inputs, up)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x = _random((8, 16, 16, 3), 0)
    history = model.fit(x, x, epochs=10, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]


def test_depthwise_and_separable(keras):
    x = _random((2, 6, 5, 3), 0)
    depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    depthwise(x)
    kernel, bias = _weights_for(depthwise)
    assert kernel.shape == (3, 3, 3, 2)
    per_channel = np.concatenate([conv_reference(x[..., c:c + 1], kernel[..., c:c + 1, :], None,
                                                 (1, 1), "same", (1, 1)) for c in range(3)], -1)
    np.testing.assert_allclose(depthwise(x), per_channel + bias, rtol=1e-4, atol=1e-4)
    separable = keras.layers.SeparableConv2D(4, 3, depth_multiplier=2)
    separable(x)
    dw, pw, b = _weights_for(separable)
    assert pw.shape == (1, 1, 6, 4)
    mid = np.concatenate([conv_reference(x[..., c:c + 1], dw[..., c:c + 1, :], None, (1, 1),
                                         "valid", (1, 1)) for c in range(3)], -1)
    np.testing.assert_allclose(separable(x), conv_reference(mid, pw, b, (1, 1), "valid", (1, 1)),
                               rtol=1e-4, atol=1e-4)
    assert [w.path.split("/")[-1] for w in separable.weights] == [
        "depthwise_kernel", "pointwise_kernel", "bias"]


def test_channels_first_is_the_channels_last_result_transposed(keras):
    x = _random((2, 3, 6, 5), 0)  # (batch, channels, rows, cols)
    for cls, kwargs in (("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same")),
                        ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=2)),
                        ("DepthwiseConv2D", dict(kernel_size=2)),
                        ("SeparableConv2D", dict(filters=2, kernel_size=3)),
                        ("MaxPooling2D", dict(pool_size=2)),
                        ("AveragePooling2D", dict(pool_size=2, padding="same"))):
        first = getattr(keras.layers, cls)(data_format="channels_first", **kwargs)
        last = getattr(keras.layers, cls)(**kwargs)
        out_first = np.asarray(first(x))
        last(np.moveaxis(x, 1, -1))
        last.set_weights(first.get_weights())
        expected = np.moveaxis(np.asarray(last(np.moveaxis(x, 1, -1))), -1, 1)
        np.testing.assert_allclose(out_first, expected, rtol=1e-5, atol=1e-5, err_msg=cls)
        assert first.compute_output_shape(x.shape) == out_first.shape


def test_family_errors_name_the_layer(keras):
    with pytest.raises(ValueError, match=r"Conv2DTranspose 't': output_padding \(2, 2\) must be "
                                         r"smaller than the strides \(2, 2\)"):
        keras.layers.Conv2DTranspose(2, 3, strides=2, output_padding=2, name="t")
    with pytest.raises(ValueError, match="DepthwiseConv2D 'd': depth_multiplier must be a "
                                         "positive int"):
        keras.layers.DepthwiseConv2D(3, depth_multiplier=0, name="d")
    with pytest.raises(ValueError, match=r"the 5 input channels are not a multiple of groups"):
        keras.layers.Conv2D(4, 3, groups=2)(keras.Input((6, 6, 5)))
    with pytest.raises(ValueError, match=r"Conv3D 'c' expects inputs of rank 5"):
        keras.layers.Conv3D(2, 2, name="c").compute_output_shape((None, 4, 4, 2))
