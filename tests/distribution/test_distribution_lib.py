"""``layerkit.distribution`` in this process (JAX's devices as the test run has them, usually
one CPU): the API's objects, its errors, the numpy backend's refusal, ``initialize``'s
arguments, and a DataParallel over one device that trains as without it."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit
import layerkit.backend as K
import layerkit_backend
from layerkit import distribution as dist
from layerkit.utils import rng_utils


@pytest.fixture
def jax_keras():
    """The jax backend active, a fresh Keras session, and no distribution left behind."""
    previous = layerkit_backend.backend().name
    layerkit_backend.set_backend("jax")
    K.clear_session()
    yield layerkit
    layerkit_backend.set_backend("jax")
    dist.set_distribution(None)
    K.clear_session()
    layerkit_backend.set_backend(previous)


@pytest.fixture
def numpy_active(jax_keras):
    layerkit_backend.set_backend("numpy")
    K.clear_session()
    yield
    K.clear_session()
    layerkit_backend.set_backend("jax")


def _model(keras):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.random((24, 4)).astype(np.float32), rng.integers(0, 2, 24)


# -- devices ----------------------------------------------------------------------------------
def test_list_devices_names_devices_as_keras_does(jax_keras):
    import jax

    names = dist.list_devices()
    assert names == [f"{d.platform}:{d.id}" for d in jax.devices()]
    assert dist.get_device_count() == len(names)
    assert dist.list_devices("cpu") == [f"cpu:{d.id}" for d in jax.devices("cpu")]
    assert dist.list_devices("CPU") == dist.list_devices("cpu")


def test_list_devices_refuses_an_unknown_device_type(jax_keras):
    with pytest.raises(ValueError, match="unknown device type 'abacus'.*cpu, gpu, tpu"):
        dist.list_devices("abacus")


def test_list_devices_of_a_missing_type_says_what_there_is(jax_keras):
    import jax

    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match="JAX has no gpu device; it has cpu:0"):
        dist.list_devices("gpu")


# -- meshes and DataParallel ------------------------------------------------------------------
def test_device_mesh_holds_its_devices_in_its_shape(jax_keras):
    mesh = dist.DeviceMesh((2, 2), ["batch", "model"], ["cpu:0", "cpu:1", "cpu:2", "cpu:3"])
    assert mesh.shape == (2, 2) and mesh.axis_names == ("batch", "model")
    assert mesh.devices.tolist() == [["cpu:0", "cpu:1"], ["cpu:2", "cpu:3"]]
    assert repr(mesh) == "<DeviceMesh shape=(2, 2), axis_names=['batch', 'model']>"


@pytest.mark.parametrize("args, message", [
    (((4,), ["batch"], ["cpu:0", "cpu:1"]), r"shape=\(4,\) holds 4 devices, but 2 devices"),
    (((2,), ["batch", "model"], ["cpu:0", "cpu:1"]), "has 1 axes but axis_names"),
    (((1, 1), ["a", "a"], ["cpu:0"]), "repeats a name"),
    (((), [], ["cpu:0"]), "needs a shape and axis_names"),
])
def test_device_mesh_refuses_inconsistent_arguments(jax_keras, args, message):
    with pytest.raises(ValueError, match=message):
        dist.DeviceMesh(*args)


def test_data_parallel_defaults_to_every_device_on_a_batch_axis(jax_keras):
    parallel = dist.DataParallel()
    assert list(parallel.device_mesh.devices) == dist.list_devices()
    assert parallel.device_mesh.axis_names == ("batch",) and parallel.batch_dim_name == "batch"
    assert parallel.num_model_replicas == dist.get_device_count()


def test_data_parallel_takes_a_mesh_and_its_axis_name(jax_keras):
    mesh = dist.DeviceMesh((1,), ["data"], ["cpu:0"])
    parallel = dist.DataParallel(device_mesh=mesh)
    assert parallel.device_mesh is mesh and parallel.batch_dim_name == "data"


@pytest.mark.parametrize("kwargs, message", [
    ({"device_mesh": dist.DeviceMesh((1,), ["batch"], ["cpu:0"]), "devices": ["cpu:0"]},
     "device_mesh or devices, not both"),
    ({"device_mesh": dist.DeviceMesh((1, 1), ["batch", "model"], ["cpu:0"])},
     r"1-D device mesh .*shape \(1, 1\)"),
    ({"device_mesh": "cpu:0"}, "must be a DeviceMesh, got str"),
    ({"devices": []}, "has no device"),
])
def test_data_parallel_refuses_bad_arguments(jax_keras, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.DataParallel(**kwargs)


@pytest.mark.parametrize("devices, message", [
    (["cpu:99"], "Unknown device 'cpu:99': JAX has cpu:0"),
    (["cpu:0", "cpu:0"], "repeat a device"),
])
def test_set_distribution_refuses_devices_jax_does_not_have(jax_keras, devices, message):
    with pytest.raises(ValueError, match=message):
        dist.set_distribution(dist.DataParallel(devices=devices))
    assert dist.distribution() is None


def test_set_distribution_takes_a_distribution_or_none(jax_keras):
    with pytest.raises(ValueError, match="takes a Distribution .* got str"):
        dist.set_distribution("data_parallel")


def test_scope_sets_the_distribution_inside_only(jax_keras):
    parallel = dist.DataParallel()
    assert dist.distribution() is None
    with parallel.scope():
        assert dist.distribution() is parallel
    assert dist.distribution() is None


# -- the numpy backend refuses ----------------------------------------------------------------
def test_numpy_backend_refuses_a_distribution(numpy_active):
    parallel = dist.DataParallel(devices=["cpu:0"])  # naming devices needs no backend
    with pytest.raises(RuntimeError, match="needs the jax backend.*active backend is 'numpy'"):
        dist.set_distribution(parallel)
    with pytest.raises(RuntimeError, match="list_devices\\(\\) needs the jax backend"):
        dist.list_devices()
    assert dist.distribution() is None


def test_fit_on_numpy_under_a_distribution_is_refused_before_training(jax_keras):
    dist.set_distribution(dist.DataParallel())
    layerkit_backend.set_backend("numpy")
    K.clear_session()
    model = _model(jax_keras)
    before = model.get_weights()
    x, y = _data()
    with pytest.raises(RuntimeError, match="Training under a distribution needs the jax"):
        model.fit(x, y, batch_size=8, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    dist.set_distribution(None)  # allowed on numpy: forgets the jax placement
    assert dist.distribution() is None
    assert layerkit_backend.get_backend("jax").distribution_lib.active() is None


# -- one device: DataParallel trains as without it ----------------------------------------------
def test_data_parallel_on_one_device_trains_as_without_it(jax_keras):
    x, y = _data()
    plain = _model(jax_keras)
    plain_history = plain.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    plain_weights = plain.get_weights()
    K.clear_session()
    dist.set_distribution(dist.DataParallel())
    model = _model(jax_keras)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history
    assert history.keys() == plain_history.keys()
    for key in history:
        np.testing.assert_allclose(history[key], plain_history[key], rtol=1e-6)
    for got, want in zip(model.get_weights(), plain_weights):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert model.predict(x, verbose=0).shape == (24, 2)
    assert len(model.evaluate(x, y, verbose=0)) == 2


def test_weights_follow_the_distribution_both_ways(jax_keras):
    from jax.sharding import NamedSharding, PartitionSpec

    model = _model(jax_keras)
    before = model.get_weights()
    state = K.get_session()._state
    assert not any(isinstance(v.sharding, NamedSharding) for v in state.values())
    dist.set_distribution(dist.DataParallel())
    for value in state.values():
        assert isinstance(value.sharding, NamedSharding) and value.sharding.is_fully_replicated
        assert value.sharding.spec == PartitionSpec()
    dist.set_distribution(None)
    assert not any(isinstance(v.sharding, NamedSharding) for v in state.values())
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_placement_splits_feeds_along_the_named_axis(jax_keras):
    import jax
    from jax.sharding import PartitionSpec

    lib = layerkit_backend.get_backend("jax").distribution_lib
    placement = lib.DataParallelPlacement(jax.devices()[:1], "data")
    assert placement.feed_sharding(2).spec == PartitionSpec("data", None)
    assert placement.feed_sharding(3, batch_axis=1).spec == PartitionSpec(None, "data", None)
    assert placement.feed_sharding(0).spec == PartitionSpec()
    assert placement.feed_sharding(2, None).spec == PartitionSpec()
    assert placement.feed_sharding(1, batch_axis=1).spec == PartitionSpec()  # stacked scalars
    assert placement.local_device_count == 1


# -- initialize -------------------------------------------------------------------------------
@pytest.fixture
def fake_cluster(jax_keras, monkeypatch):
    """``initialize`` without a cluster: records what would reach ``jax.distributed`` and
    agrees on the seed 4242; the seeding state is restored afterwards."""
    lib = layerkit_backend.get_backend("jax").distribution_lib
    calls = []
    monkeypatch.setattr(lib, "initialize", lambda *args: calls.append(args))
    monkeypatch.setattr(lib, "agree_on_seed", lambda seed: 4242)
    monkeypatch.setattr(K, "_state", dict(K._state))  # the seed state
    for name in (dist.distribution_lib.ENV_JOB_ADDRESSES, dist.distribution_lib.ENV_NUM_PROCESSES,
                 dist.distribution_lib.ENV_PROCESS_ID):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_initialize_passes_the_coordinator_and_agrees_on_a_seed(fake_cluster):
    dist.initialize("10.0.0.1:1234,10.0.0.2:2345", 2, 1)
    assert fake_cluster == [("10.0.0.1:1234", 2, 1)]
    assert rng_utils.get_random_seed() == 4242


def test_initialize_reads_keras_environment_variables(fake_cluster, monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "4")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "3")
    dist.initialize()
    dist.initialize(process_id=0)  # an argument wins over its variable
    assert fake_cluster == [("10.0.0.1:1234", 4, 3), ("10.0.0.1:1234", 4, 0)]


def test_initialize_leaves_what_is_unset_to_jax(fake_cluster):
    dist.initialize()
    assert fake_cluster == [(None, None, None)]


@pytest.mark.parametrize("kwargs, message", [
    ({"job_addresses": "a:1,b:2,c:3", "num_processes": 2}, "lists 3 addresses but num_proc"),
    ({"job_addresses": "a:1", "num_processes": 2, "process_id": 2}, r"process_id=2 is not in"),
    ({"job_addresses": " , "}, "names no address"),
    ({"job_addresses": "a:1", "num_processes": "2"}, r"num_processes=...\) must be an int"),
])
def test_initialize_refuses_inconsistent_arguments(fake_cluster, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.initialize(**kwargs)
    assert fake_cluster == []


def test_initialize_refuses_a_non_integer_environment_variable(fake_cluster, monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "first")
    with pytest.raises(ValueError, match="KERAS_DISTRIBUTION_PROCESS_ID='first' is not an int"):
        dist.initialize("a:1", 2)
