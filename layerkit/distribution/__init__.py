"""Distributing training over devices and hosts, with Keras 3's API (``keras.distribution``).

    import layerkit as keras

    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model = ...  # build, compile and fit as usual

``DataParallel`` splits each batch over all devices (each holds every weight); several hosts
join first with ``initialize()``. Only the jax backend distributes work; see the guide page
*Scaling out*.
"""

from layerkit.distribution.distribution_lib import (
    DEFAULT_BATCH_DIM_NAME,
    DataParallel,
    DeviceMesh,
    Distribution,
    check_batches,
    distribution,
    get_device_count,
    initialize,
    list_devices,
    set_distribution,
)

__all__ = [
    "DEFAULT_BATCH_DIM_NAME", "DataParallel", "DeviceMesh", "Distribution", "check_batches",
    "distribution", "get_device_count", "initialize", "list_devices", "set_distribution",
]
