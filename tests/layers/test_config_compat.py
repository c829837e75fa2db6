"""Layer configs against Keras 3, both ways.

Direction 1: ``layerkit.layers.X.from_config`` takes the config real Keras 3 writes (after JSON)
and builds a layer with Keras's weight shapes that, given Keras's weights, computes Keras's
outputs. Direction 2: ``keras.layers.X.from_config`` takes our config and gives the layer Keras
builds from the same arguments (the same config when Keras writes it again, the same outputs as
ours given the same weights).

The slow tests run Keras once for the whole module, in a child process (``tests/keras3.py``);
the fast ones check our own round trip, the refusal of what layerkit does not support, dtype
policies, and a few configs Keras 3.15 wrote, kept here as literals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest


@dataclass
class Case:
    """One layer: its class, arguments (JSON) and the input to run it on (None: no call)."""

    id: str
    cls: str
    kwargs: dict[str, Any]
    inputs: Any = None  # a shape, or a list of shapes (merge layers)
    int_inputs: bool = False
    legacy: bool = False  # Keras loads our config through its legacy (HDF5) path
    extra_keys: set[str] = field(default_factory=set)  # ours, not written by Keras
    spread: bool = False  # the inputs are separate arguments: layer(query, value)
    call_kwargs: dict[str, Any] = field(default_factory=dict)  # e.g. use_causal_mask


CASES = [
    Case("dense", "Dense", {"units": 3, "activation": "relu"}, (2, 4)),
    Case("dense_options", "Dense", {"units": 2, "use_bias": False,
                                    "kernel_initializer": "he_normal",
                                    "kernel_regularizer": "l2", "activity_regularizer": "l1"},
         (2, 3, 4)),
    Case("dense_float64", "Dense", {"units": 2, "dtype": "float64"}, (2, 3)),
    Case("dense_input_shape", "Dense", {"units": 2, "input_shape": [4]}, (2, 4), legacy=True,
         extra_keys={"batch_input_shape"}),
    Case("activation", "Activation", {"activation": "softmax"}, (2, 5)),
    Case("dropout", "Dropout", {"rate": 0.3, "seed": 3}, (2, 5)),
    Case("flatten", "Flatten", {}, (2, 3, 2)),
    Case("flatten_channels_first", "Flatten", {"data_format": "channels_first"}, (2, 3, 2, 2)),
    Case("reshape", "Reshape", {"target_shape": [-1, 2]}, (2, 6)),
    Case("permute", "Permute", {"dims": [2, 1]}, (2, 3, 4)),
    Case("repeat_vector", "RepeatVector", {"n": 3}, (2, 4)),
    Case("conv1d_causal", "Conv1D", {"filters": 3, "kernel_size": 3, "padding": "causal",
                                     "dilation_rate": 2, "activation": "tanh"}, (2, 7, 2)),
    Case("conv1d_strides", "Conv1D", {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 6, 3)),
    Case("conv2d", "Conv2D", {"filters": 3, "kernel_size": [3, 2], "strides": [2, 1],
                              "padding": "same", "bias_regularizer": "l1"}, (2, 5, 4, 2)),
    Case("max_pooling1d", "MaxPooling1D", {"pool_size": 2}, (2, 5, 3)),
    Case("max_pooling2d", "MaxPooling2D", {"pool_size": [2, 2], "padding": "same"},
         (2, 5, 4, 2)),
    Case("average_pooling1d", "AveragePooling1D", {"pool_size": 3, "strides": 1}, (2, 5, 3)),
    Case("average_pooling2d", "AveragePooling2D", {"pool_size": 2}, (2, 4, 4, 2)),
    Case("global_average_pooling1d", "GlobalAveragePooling1D", {}, (2, 5, 3)),
    Case("global_average_pooling2d", "GlobalAveragePooling2D", {"keepdims": True},
         (2, 4, 3, 2)),
    Case("global_max_pooling1d", "GlobalMaxPooling1D", {}, (2, 5, 3)),
    Case("global_max_pooling2d", "GlobalMaxPooling2D", {}, (2, 4, 3, 2)),
    Case("simple_rnn", "SimpleRNN", {"units": 4, "return_sequences": True, "seed": 5},
         (2, 5, 3), extra_keys={"seed"}),
    Case("lstm", "LSTM", {"units": 3, "go_backwards": True, "return_state": True}, (2, 5, 2)),
    Case("lstm_no_forget_bias", "LSTM", {"units": 3, "return_sequences": True,
                                         "unit_forget_bias": False, "dropout": 0.25},
         (2, 4, 2)),
    Case("gru", "GRU", {"units": 3}, (2, 5, 2)),
    Case("gru_reset_before", "GRU", {"units": 2, "reset_after": False,
                                     "return_sequences": True, "activation": "relu"},
         (2, 4, 3)),
    Case("embedding", "Embedding", {"input_dim": 10, "output_dim": 4}, (2, 5), int_inputs=True),
    Case("batch_normalization", "BatchNormalization", {"momentum": 0.9, "epsilon": 0.01},
         (4, 3)),
    Case("batch_normalization_axis1", "BatchNormalization", {"axis": 1, "center": False},
         (4, 3, 2)),
    Case("layer_normalization", "LayerNormalization", {}, (2, 5)),
    Case("layer_normalization_axes", "LayerNormalization", {"axis": [1, 2], "epsilon": 1e-5,
                                                            "scale": False}, (2, 3, 4)),
    Case("concatenate", "Concatenate", {"axis": 1}, [(2, 3, 2), (2, 1, 2)]),
    Case("add", "Add", {}, [(2, 3), (2, 3), (2, 3)]),
    Case("multiply", "Multiply", {}, [(2, 3), (2, 3)]),
    Case("average", "Average", {}, [(2, 4), (2, 4)]),
    Case("subtract", "Subtract", {}, [(2, 3), (2, 3)]),
    Case("maximum", "Maximum", {}, [(2, 3), (2, 3), (2, 3)]),
    Case("minimum", "Minimum", {}, [(2, 3, 2), (2, 3, 2)]),
    Case("dot", "Dot", {"axes": 2}, [(2, 3, 4), (2, 5, 4)]),
    Case("dot_pair_normalized", "Dot", {"axes": [1, 2], "normalize": True},
         [(2, 3, 4), (2, 5, 3)]),
    Case("dot_vectors", "Dot", {"axes": 1}, [(2, 4), (2, 4)]),
    Case("relu", "ReLU", {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}, (2, 5)),
    Case("leaky_relu", "LeakyReLU", {"negative_slope": 0.2}, (2, 5)),
    Case("prelu", "PReLU", {"shared_axes": [1]}, (2, 3, 4)),
    Case("prelu_options", "PReLU", {"alpha_initializer": "ones",
                                    "alpha_regularizer": "l2",
                                    "alpha_constraint": "non_neg"}, (2, 4)),
    Case("elu", "ELU", {"alpha": 0.7}, (2, 5)),
    Case("softmax", "Softmax", {"axis": 1}, (2, 4, 3)),
    Case("softmax_axes", "Softmax", {"axis": [1, 2]}, (2, 4, 3)),
    Case("identity", "Identity", {}, (2, 3)),
    Case("gaussian_noise", "GaussianNoise", {"stddev": 0.3, "seed": 2}, (2, 4)),
    Case("gaussian_dropout", "GaussianDropout", {"rate": 0.4}, (2, 4)),
    Case("alpha_dropout", "AlphaDropout", {"rate": 0.2, "noise_shape": [None, 1]}, (2, 4)),
    Case("spatial_dropout1d", "SpatialDropout1D", {"rate": 0.3, "seed": 1}, (2, 4, 3)),
    Case("spatial_dropout2d", "SpatialDropout2D", {"rate": 0.3}, (2, 4, 3, 2)),
    Case("spatial_dropout3d", "SpatialDropout3D", {"rate": 0.3,
                                                   "data_format": "channels_first"},
         (2, 2, 3, 2, 2)),
    Case("activity_regularization", "ActivityRegularization", {"l1": 0.1, "l2": 0.2}, (2, 3)),
    Case("dropout_noise_shape", "Dropout", {"rate": 0.5, "noise_shape": [None, 1, 3]},
         (2, 4, 3)),
    Case("zero_padding1d", "ZeroPadding1D", {"padding": [1, 2]}, (2, 4, 3)),
    Case("zero_padding2d", "ZeroPadding2D", {"padding": [[1, 0], [2, 1]]}, (2, 3, 4, 2)),
    Case("zero_padding2d_first", "ZeroPadding2D", {"padding": 1,
                                                   "data_format": "channels_first"},
         (2, 2, 3, 4)),
    Case("zero_padding3d", "ZeroPadding3D", {"padding": [1, 2, 0]}, (2, 2, 3, 2, 2)),
    Case("cropping1d", "Cropping1D", {"cropping": [2, 1]}, (2, 6, 3)),
    Case("cropping2d", "Cropping2D", {"cropping": [[1, 0], [1, 2]]}, (2, 4, 5, 2)),
    Case("cropping3d", "Cropping3D", {"cropping": 1}, (2, 3, 4, 3, 2)),
    Case("up_sampling1d", "UpSampling1D", {"size": 3}, (2, 4, 3)),
    Case("up_sampling2d", "UpSampling2D", {"size": [2, 3]}, (2, 3, 2, 2)),
    Case("up_sampling2d_bilinear", "UpSampling2D", {"size": 2, "interpolation": "bilinear"},
         (2, 3, 4, 2)),
    Case("up_sampling3d", "UpSampling3D", {"size": [1, 2, 2],
                                           "data_format": "channels_first"}, (2, 2, 2, 3, 2)),
    Case("unit_normalization", "UnitNormalization", {"axis": [1, 2]}, (2, 3, 4)),
    Case("group_normalization", "GroupNormalization", {"groups": 2}, (2, 3, 4)),
    Case("group_normalization_axis1", "GroupNormalization",
         {"groups": -1, "axis": 1, "epsilon": 0.01, "gamma_constraint": "non_neg"},
         (2, 4, 3, 2)),
    Case("dense_constraints", "Dense", {"units": 3, "kernel_constraint": {
        "class_name": "MaxNorm", "config": {"max_value": 1.5, "axis": 0}},
        "bias_constraint": "non_neg"}, (2, 4)),
    Case("conv2d_constraint", "Conv2D", {"filters": 2, "kernel_size": 2,
                                         "kernel_constraint": "unit_norm"}, (2, 3, 3, 2)),
    Case("embedding_constraint", "Embedding", {"input_dim": 10, "output_dim": 3,
                                               "embeddings_constraint": {
                                                   "class_name": "MinMaxNorm",
                                                   "config": {"min_value": 0.5,
                                                              "max_value": 2.0,
                                                              "rate": 0.5}}},
         (2, 3), int_inputs=True),
    Case("einsum_dense", "EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4,
                                         "bias_axes": "c"}, (2, 3)),
    Case("einsum_dense_heads", "EinsumDense", {"equation": "abc,cde->abde",
                                               "output_shape": [None, 2, 3],
                                               "bias_axes": "de", "activation": "relu"},
         (2, 4, 5)),
    Case("einsum_dense_ellipsis", "EinsumDense", {"equation": "...b,bc->...c",
                                                  "output_shape": [3]}, (2, 4, 5)),
    Case("einsum_dense_right", "EinsumDense", {"equation": "ab...,bc->ac...",
                                               "output_shape": [3], "bias_axes": "c"},
         (2, 4, 5)),
    Case("attention", "Attention", {}, [(2, 4, 3), (2, 5, 3)]),
    Case("attention_scaled_key", "Attention", {"use_scale": True, "dropout": 0.2},
         [(2, 4, 3), (2, 5, 2), (2, 5, 3)]),
    Case("attention_concat", "Attention", {"score_mode": "concat", "use_scale": True},
         [(2, 4, 3), (2, 5, 3)]),
    Case("attention_causal", "Attention", {}, [(2, 4, 3), (2, 4, 3)],
         call_kwargs={"use_causal_mask": True}),
    Case("additive_attention", "AdditiveAttention", {}, [(2, 4, 3), (2, 5, 3)]),
    Case("multi_head_attention", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
         [(2, 4, 5), (2, 6, 5)], spread=True),
    Case("multi_head_attention_options", "MultiHeadAttention",
         {"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_bias": False,
          "output_shape": [7], "dropout": 0.1}, [(2, 4, 5), (2, 6, 3), (2, 6, 2)],
         spread=True, call_kwargs={"return_attention_scores": True}),
    Case("multi_head_attention_causal", "MultiHeadAttention", {"num_heads": 2, "key_dim": 2},
         [(2, 5, 4), (2, 5, 4)], spread=True, call_kwargs={"use_causal_mask": True}),
    Case("multi_head_attention_2d", "MultiHeadAttention",
         {"num_heads": 2, "key_dim": 2, "attention_axes": [1, 2]},
         [(2, 3, 4, 5), (2, 3, 4, 5)], spread=True),
    Case("group_query_attention", "GroupQueryAttention",
         {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
         [(2, 4, 5), (2, 6, 5)], spread=True, call_kwargs={"return_attention_scores": True}),
    Case("group_query_attention_causal", "GroupQueryAttention",
         {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1, "use_bias": False,
          "dropout": 0.2}, [(2, 5, 4), (2, 5, 4), (2, 5, 3)], spread=True,
         call_kwargs={"use_causal_mask": True}),
    Case("conv2d_groups", "Conv2D", {"filters": 4, "kernel_size": 2, "groups": 2},
         (2, 4, 4, 6)),
    Case("conv2d_channels_first", "Conv2D", {"filters": 3, "kernel_size": [2, 3],
                                             "strides": 2, "padding": "same",
                                             "data_format": "channels_first"}, (2, 2, 5, 6)),
    Case("conv1d_channels_first", "Conv1D", {"filters": 2, "kernel_size": 3,
                                             "data_format": "channels_first"}, (2, 3, 7)),
    Case("conv3d", "Conv3D", {"filters": 2, "kernel_size": 2, "strides": [1, 2, 1],
                              "padding": "same"}, (2, 3, 4, 3, 2)),
    Case("conv3d_groups", "Conv3D", {"filters": 4, "kernel_size": [1, 2, 2], "groups": 2,
                                     "dilation_rate": [1, 2, 1]}, (2, 2, 5, 3, 4)),
    Case("conv1d_transpose", "Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2},
         (2, 4, 2)),
    Case("conv2d_transpose", "Conv2DTranspose", {"filters": 2, "kernel_size": 3,
                                                 "strides": 2, "padding": "same"},
         (2, 3, 4, 3)),
    Case("conv2d_transpose_output_padding", "Conv2DTranspose",
         {"filters": 2, "kernel_size": [3, 2], "strides": [2, 3], "output_padding": [1, 2],
          "activation": "relu"}, (2, 3, 2, 2)),
    Case("conv2d_transpose_dilated", "Conv2DTranspose",
         {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same"}, (2, 4, 4, 1)),
    Case("conv2d_transpose_channels_first", "Conv2DTranspose",
         {"filters": 3, "kernel_size": 2, "strides": 2, "data_format": "channels_first"},
         (2, 2, 3, 3)),
    Case("conv3d_transpose", "Conv3DTranspose", {"filters": 2, "kernel_size": 2,
                                                 "strides": [2, 1, 2], "padding": "same",
                                                 "use_bias": False}, (2, 2, 3, 2, 2)),
    Case("depthwise_conv1d", "DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2},
         (2, 6, 3)),
    Case("depthwise_conv2d", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2,
                                                 "padding": "same"}, (2, 5, 6, 3)),
    Case("depthwise_conv2d_options", "DepthwiseConv2D",
         {"kernel_size": [2, 3], "depth_multiplier": 3, "dilation_rate": 2,
          "depthwise_regularizer": "l2", "activation": "relu",
          "data_format": "channels_first"}, (2, 2, 6, 7)),
    Case("separable_conv1d", "SeparableConv1D", {"filters": 4, "kernel_size": 3,
                                                 "padding": "same"}, (2, 6, 3)),
    Case("separable_conv2d", "SeparableConv2D", {"filters": 3, "kernel_size": 3,
                                                 "depth_multiplier": 2, "strides": 2,
                                                 "pointwise_constraint": "non_neg"},
         (2, 7, 6, 2)),
    Case("max_pooling3d", "MaxPooling3D", {"pool_size": 2, "padding": "same"},
         (2, 3, 4, 5, 2)),
    Case("average_pooling3d", "AveragePooling3D", {"pool_size": [1, 2, 2], "strides": 1},
         (2, 2, 4, 3, 2)),
    Case("max_pooling2d_channels_first", "MaxPooling2D",
         {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 4, 5)),
    Case("global_average_pooling3d", "GlobalAveragePooling3D", {}, (2, 2, 3, 2, 4)),
    Case("global_max_pooling3d", "GlobalMaxPooling3D", {"keepdims": True}, (2, 2, 3, 2, 4)),
    Case("global_average_pooling1d_first", "GlobalAveragePooling1D",
         {"data_format": "channels_first"}, (2, 3, 5)),
    Case("input_layer", "InputLayer", {"shape": [3, 2]}),
    Case("input_layer_int", "InputLayer", {"batch_shape": [5, 3], "dtype": "int32"}),
]
for _case in CASES:
    _case.kwargs["name"] = f"case_{_case.id}"
# Layers whose arguments a JSON case cannot hold, and where they are compared with Keras.
TESTED_ELSEWHERE = {"Lambda": "tests/layers/test_lambda_layer.py (a function argument)",
                    "GroupedQueryAttention": "the group_query_attention cases (Keras exports "
                                             "the class as GroupQueryAttention)",
                    "TimeDistributed": "tests/layers/test_wrappers.py (a layer argument)",
                    "Bidirectional": "tests/layers/test_wrappers.py (a layer argument)"}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _inputs(case: Case) -> Any:
    rng = np.random.default_rng(len(case.id))
    if case.int_inputs:
        return rng.integers(0, 10, case.inputs).astype("int32")
    if isinstance(case.inputs, list):
        return [rng.normal(size=shape).astype("float32") for shape in case.inputs]
    return rng.normal(size=case.inputs).astype("float32")


def _as_list(value: Any) -> list:
    return [np.asarray(v) for v in value] if isinstance(value, list | tuple) else [
        np.asarray(value)]


# -- fast: our own round trip, refusals, dtype policies -----------------------------------------
def test_every_built_in_layer_has_a_case():
    from layerkit import layers

    classes = {name for name, cls in layers._registry().items()
               if cls.__module__.startswith("layerkit.layers") and name != "Layer"}
    assert classes <= {case.cls for case in CASES} | set(TESTED_ELSEWHERE)


def _call(layer: Any, x: Any, case: Case) -> Any:
    return layer(*x, **case.call_kwargs) if case.spread else layer(x, **case.call_kwargs)


def _build_with_weights(layer: Any, x: Any, case: Case, seed: int = 0) -> list[np.ndarray]:
    _call(layer, x, case)  # builds
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(0.2, 1.0, w.shape).astype(w.dtype) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_our_config_round_trips(keras, case):
    cls = getattr(keras.layers, case.cls)
    layer = cls(**case.kwargs)
    config = _jsonable(layer.get_config())
    clone = cls.from_config(config)
    assert _jsonable(clone.get_config()) == config
    restored = keras.layers.deserialize(_jsonable(keras.layers.serialize(layer)))
    assert type(restored) is cls and _jsonable(restored.get_config()) == config
    if case.inputs is None:
        return
    x = _inputs(case)
    weights = _build_with_weights(layer, x, case)
    _call(clone, x, case)
    clone.set_weights(weights)
    for a, b in zip(_as_list(_call(layer, x, case)), _as_list(_call(clone, x, case))):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_dtype_is_written_as_a_keras_policy(keras):
    config = keras.layers.Dense(2, dtype="float64").get_config()
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                               "config": {"name": "float64"}, "registered_name": None}
    assert keras.layers.InputLayer(shape=(2,)).get_config()["dtype"] == "float32"  # as Keras


@pytest.mark.parametrize("dtype, expected", [
    (None, "float32"), ("float64", "float64"), (np.float64, "float64"),
    ({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
      "registered_name": None}, "float64"),
    ({"class_name": "Policy", "config": {"name": "float32"}}, "float32"),  # tf.keras 2
])
def test_dtype_arguments_are_accepted(keras, dtype, expected):
    layer = keras.layers.Dense.from_config({"units": 2, "dtype": dtype})
    assert layer.dtype == expected
    assert layer(np.ones((1, 3), expected)).dtype == expected


@pytest.mark.parametrize("dtype, message", [
    ("mixed_float16", "Dense 'd': dtype policy 'mixed_float16' .*mixed precision"),
    ({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"},
      "registered_name": None}, "Dense 'd': dtype policy 'mixed_bfloat16'"),
    ("int8_from_float32", "Dense 'd': dtype policy 'int8_from_float32' .*quantization"),
    ({"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
      "config": {"mode": "int8", "source_name": "float32"}, "registered_name": None},
     "Dense 'd': dtype policy 'QuantizedDTypePolicy' is not supported"),
])
def test_mixed_and_quantized_policies_are_refused(keras, dtype, message):
    with pytest.raises(NotImplementedError, match=message):
        keras.layers.Dense(2, dtype=dtype, name="d")


REFUSED = [
    ("Dense", {"units": 2, "quantization_config": {"class_name": "Int8QuantizationConfig"}},
     "quantization_config"),
    ("Dense", {"units": 2, "lora_rank": 4}, "lora_rank"),
    ("SimpleRNN", {"units": 2, "recurrent_constraint": "non_neg"}, "recurrent_constraint"),
    ("GRU", {"units": 2, "recurrent_dropout": 0.1}, "recurrent_dropout"),
    ("LSTM", {"units": 2, "stateful": True}, "stateful"),
    ("GRU", {"units": 2, "unroll": True}, "unroll"),
    ("Embedding", {"input_dim": 3, "output_dim": 2, "mask_zero": True}, "mask_zero"),
    ("BatchNormalization", {"renorm": True}, "renorm"),
    ("BatchNormalization", {"renorm_momentum": 0.5}, "renorm_momentum"),
    ("BatchNormalization", {"renorm_clipping": {"rmax": 3.0}}, "renorm_clipping"),
    ("BatchNormalization", {"synchronized": True}, "synchronized"),
    ("LayerNormalization", {"rms_scaling": True}, "rms_scaling"),
    ("InputLayer", {"shape": [2], "sparse": True}, "sparse"),
    ("InputLayer", {"shape": [2], "ragged": True}, "ragged"),
    ("InputLayer", {"shape": [2], "optional": True}, "optional"),
]


@pytest.mark.parametrize("cls, kwargs, argument", REFUSED, ids=lambda v: str(v)[:30])
def test_unsupported_non_default_values_are_refused(keras, cls, kwargs, argument):
    with pytest.raises(NotImplementedError, match=rf"{cls} 'x': {argument}="):
        getattr(keras.layers, cls).from_config({**kwargs, "name": "x"})


def test_initializer_fan_axes():
    from layerkit import initializers

    config = {"class_name": "GlorotUniform",
              "config": {"seed": 3, "input_axes": None, "output_axes": None}}
    assert initializers.deserialize(config).get_config() == {"seed": 3}  # unset: not written
    axes = {"seed": 3, "input_axes": [0], "output_axes": [1, 2]}
    glorot = initializers.deserialize({**config, "config": axes})
    assert glorot.get_config() == axes
    # fans (4, 2 * 5): glorot's limit sqrt(6 / (fan_in + fan_out)) with those fans
    values = glorot((4, 2, 5))
    assert np.abs(values).max() <= np.sqrt(6 / 14) and np.abs(values).max() > 0.8 * np.sqrt(6 / 14)
    assert initializers.compute_fans((4, 2, 5), [0], [1, 2]) == (4, 10)
    assert initializers.compute_fans((4, 2, 5)) == (8, 20)  # by layout: a 1-D conv kernel
    same = initializers.GlorotUniform(seed=3).with_fan_axes([0], [1, 2])
    np.testing.assert_array_equal(same((4, 2, 5)), values)
    with pytest.raises(ValueError, match="`input_axes` must be None or a list of ints"):
        initializers.VarianceScaling(input_axes="a")


def test_keras3_layer_entries_deserialize(keras):
    entry = {"module": "keras.layers", "class_name": "Dense", "config": KERAS_WRITTEN["Dense"],
             "registered_name": None, "build_config": {"input_shape": [None, 4]}}
    layer = keras.layers.deserialize(entry)
    assert type(layer) is keras.layers.Dense and layer.units == 3


def test_unsupported_keys_at_keras_defaults_are_accepted(keras):
    config = {"units": 2, "kernel_constraint": None, "bias_constraint": None,
              "quantization_config": None, "lora_rank": None, "lora_alpha": None}
    assert keras.layers.Dense.from_config(config).units == 2
    lstm = keras.layers.LSTM.from_config({"units": 2, "zero_output_for_mask": False,
                                          "recurrent_dropout": 0, "stateful": False})
    assert lstm.units == 2


# Configs that Keras 3.15.1 wrote (``layer.get_config()``), for the fast suite.
_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
           "registered_name": None}
_GLOROT = {"module": "keras.initializers", "class_name": "GlorotUniform",
           "config": {"seed": None, "input_axes": None, "output_axes": None},
           "registered_name": None}
_ZEROS = {"module": "keras.initializers", "class_name": "Zeros", "config": {},
          "registered_name": None}
_ONES = {"module": "keras.initializers", "class_name": "Ones", "config": {},
         "registered_name": None}
_ORTHOGONAL = {"module": "keras.initializers", "class_name": "Orthogonal",
               "config": {"seed": None, "gain": 1.0}, "registered_name": None}
KERAS_WRITTEN = {
    "Dense": {"name": "dense", "trainable": True, "dtype": _POLICY, "units": 3,
              "activation": "linear", "use_bias": True, "kernel_initializer": _GLOROT,
              "bias_initializer": _ZEROS, "kernel_regularizer": None, "bias_regularizer": None,
              "kernel_constraint": None, "bias_constraint": None, "quantization_config": None},
    "Conv1D": {"name": "conv1d", "trainable": True, "dtype": _POLICY, "filters": 2,
               "kernel_size": [3], "strides": [1], "padding": "causal",
               "data_format": "channels_last", "dilation_rate": [1], "groups": 1,
               "activation": "linear", "use_bias": True, "kernel_initializer": _GLOROT,
               "bias_initializer": _ZEROS, "kernel_regularizer": None, "bias_regularizer": None,
               "activity_regularizer": None, "kernel_constraint": None,
               "bias_constraint": None},
    "MaxPooling1D": {"name": "max_pooling1d", "trainable": True, "dtype": _POLICY,
                     "pool_size": [2], "padding": "valid", "strides": [2],
                     "data_format": "channels_last"},
    "LSTM": {"name": "lstm", "trainable": True, "dtype": _POLICY, "return_sequences": False,
             "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
             "zero_output_for_mask": False, "units": 3, "activation": "tanh",
             "recurrent_activation": "sigmoid", "use_bias": True,
             "kernel_initializer": _GLOROT, "recurrent_initializer": _ORTHOGONAL,
             "bias_initializer": _ZEROS, "unit_forget_bias": True, "kernel_regularizer": None,
             "recurrent_regularizer": None, "bias_regularizer": None,
             "activity_regularizer": None, "kernel_constraint": None,
             "recurrent_constraint": None, "bias_constraint": None, "dropout": 0.0,
             "recurrent_dropout": 0.0, "seed": None},
    "Embedding": {"name": "embedding", "trainable": True, "dtype": _POLICY, "input_dim": 10,
                  "output_dim": 3, "embeddings_initializer": {
                      "module": "keras.initializers", "class_name": "RandomUniform",
                      "config": {"seed": None, "minval": -0.05, "maxval": 0.05},
                      "registered_name": None},
                  "embeddings_regularizer": None, "activity_regularizer": None,
                  "embeddings_constraint": None, "mask_zero": False,
                  "quantization_config": None},
    "BatchNormalization": {
        "name": "batch_normalization", "trainable": True, "dtype": _POLICY, "axis": -1,
        "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
        "beta_initializer": _ZEROS, "gamma_initializer": _ONES,
        "moving_mean_initializer": _ZEROS, "moving_variance_initializer": _ONES,
        "beta_regularizer": None,
        "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
        "synchronized": False, "renorm": False, "renorm_clipping": None,
        "renorm_momentum": 0.99},
    "InputLayer": {"batch_shape": [None, 3], "dtype": "float32", "sparse": False,
                   "ragged": False, "name": "input_layer", "optional": False},
}


@pytest.mark.parametrize("cls", sorted(KERAS_WRITTEN))
def test_configs_keras_wrote_load_with_the_same_keys(keras, cls):
    keras_config = KERAS_WRITTEN[cls]
    layer = getattr(keras.layers, cls).from_config(keras_config)
    ours = _jsonable(layer.get_config())
    assert set(ours) == set(keras_config)
    for key, value in keras_config.items():
        if isinstance(value, dict) and "class_name" in value:  # dtype, initializers
            assert ours[key]["class_name"] == value["class_name"]
        else:
            assert ours[key] == value, key
    if cls == "Conv1D":
        assert layer(np.ones((1, 4, 2), "float32")).shape == (1, 4, 2)  # causal keeps steps


# -- slow: against real Keras 3 ----------------------------------------------------------------
_KERAS_CODE = """
import json
payload = json.loads(PAYLOAD)

def flat(value):
    items = value if isinstance(value, (list, tuple)) else [value]
    return [np.asarray(v).astype("float64").tolist() for v in items]

def load(cls, config, legacy):
    if not legacy:
        return cls.from_config(config)
    from keras.src.legacy.saving import saving_utils
    return saving_utils.model_from_config({"class_name": cls.__name__, "config": config})

def call(layer, x, case):
    if case["spread"]:
        return layer(*x, **case["call_kwargs"])
    return layer(x, **case["call_kwargs"])

def run(case):
    cls = getattr(keras.layers, case["cls"])
    record = {}
    reference = cls(**case["kwargs"])
    record["config"] = json.loads(json.dumps(reference.get_config()))
    theirs = load(cls, case["ours"], case["legacy"])
    record["config_from_ours"] = json.loads(json.dumps(theirs.get_config()))
    x = case["x"]
    if x is None:
        return record
    x = [np.asarray(v, "float32") for v in x] if case["multi"] else np.asarray(
        x, "int32" if case["int"] else "float32")
    call(reference, x, case)
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.2, 1.0, np.shape(w)).astype("float32")
               for w in reference.get_weights()]
    reference.set_weights(weights)
    record["weights"] = [w.tolist() for w in weights]
    record["output"] = flat(call(reference, x, case))
    call(theirs, x, case)
    theirs.set_weights(weights)
    record["output_from_ours"] = flat(call(theirs, x, case))
    return record

results = {}
for case in payload:
    try:
        results[case["id"]] = run(case)
    except Exception as error:
        results[case["id"]] = {"error": f"{type(error).__name__}: {error}"}
emit(results)
"""


@pytest.fixture(scope="module")
def keras_results(keras3) -> dict[str, Any]:
    """Keras 3's configs, weights and outputs for every case, and what Keras made of our
    configs (one child process for the module)."""
    import layerkit
    from layerkit import backend as K

    K.clear_session()
    payload = []
    for case in CASES:
        ours = getattr(layerkit.layers, case.cls)(**case.kwargs).get_config()
        x = None if case.inputs is None else _inputs(case)
        payload.append({"id": case.id, "cls": case.cls, "kwargs": case.kwargs,
                        "ours": _jsonable(ours), "legacy": case.legacy,
                        "multi": isinstance(x, list), "int": case.int_inputs,
                        "spread": case.spread, "call_kwargs": case.call_kwargs,
                        "x": None if x is None else _jsonable(
                            [v.tolist() for v in x] if isinstance(x, list) else x.tolist())})
    K.clear_session()
    code = _KERAS_CODE.replace("PAYLOAD", repr(json.dumps(payload)))
    return keras3(code)


def _record(keras_results: dict, case: Case) -> dict:
    record = keras_results[case.id]
    assert "error" not in record, f"Keras 3 failed on case {case.id}: {record['error']}"
    return record


def _assert_same_config(ours: Any, expected: Any) -> None:
    """Equal configs, but floats to float32 precision (Keras stores regularizer factors as
    float32: ``l1=0.01`` comes back as 0.009999999776482582)."""
    if isinstance(expected, dict):
        assert isinstance(ours, dict) and set(ours) == set(expected)
        for key in expected:
            _assert_same_config(ours[key], expected[key])
    elif isinstance(expected, float):
        assert ours == pytest.approx(expected, rel=1e-6)
    else:
        assert ours == expected


def _key_differences(ours: Any, theirs: Any, path: str = "") -> set[str]:
    """Paths of the keys one nested config has and the other lacks."""
    if not (isinstance(ours, dict) and isinstance(theirs, dict)):
        return set()
    diff = {f"{path}{key}" for key in set(ours) ^ set(theirs)}
    for key in set(ours) & set(theirs):
        diff |= _key_differences(ours[key], theirs[key], f"{path}{key}.")
    return diff


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_our_config_has_the_keys_keras_writes(keras, keras_results, case):
    record = _record(keras_results, case)
    ours = _jsonable(getattr(keras.layers, case.cls)(**case.kwargs).get_config())
    diff = _key_differences(ours, record["config"])
    # Keras 3.15 writes the fan axes of the VarianceScaling initializers even when unset;
    # layerkit writes them only when set, so its files stay loadable by older Keras 3.
    diff = {d for d in diff if not d.endswith(("input_axes", "output_axes"))}
    assert diff == case.extra_keys


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_keras_config_loads_here_and_behaves_the_same(keras, keras_results, case):
    record = _record(keras_results, case)
    cls = getattr(keras.layers, case.cls)
    layer = cls.from_config(record["config"])
    # The same layer as from the same arguments, but for what Keras does not write.
    expected = cls(**{k: v for k, v in case.kwargs.items()
                      if k != "input_shape" and k not in case.extra_keys})
    _assert_same_config(_jsonable(layer.get_config()), _jsonable(expected.get_config()))
    if case.inputs is None:
        return
    x = _inputs(case)
    _call(layer, x, case)
    assert [w.shape for w in layer.get_weights()] == [np.shape(w) for w in record["weights"]]
    layer.set_weights(record["weights"])
    outputs = _as_list(_call(layer, x, case))
    assert len(outputs) == len(record["output"])
    for ours, theirs in zip(outputs, record["output"]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_our_config_loads_in_keras_and_behaves_the_same(keras, keras_results, case):
    record = _record(keras_results, case)
    # Keras builds from our config the layer it builds from the same arguments.
    assert record["config_from_ours"] == record["config"]
    if case.inputs is None:
        return
    layer = getattr(keras.layers, case.cls)(**case.kwargs)
    x = _inputs(case)
    _call(layer, x, case)
    layer.set_weights(record["weights"])
    outputs = _as_list(_call(layer, x, case))
    assert len(outputs) == len(record["output_from_ours"])
    for ours, theirs in zip(outputs, record["output_from_ours"]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)
