"""``LearningRateScheduler``: set the learning rate at the start of each epoch."""

from __future__ import annotations

import numpy as np

from layerkit.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At each epoch begin, sets the optimizer's learning rate to ``schedule(epoch, lr)``
    (``lr`` the current one; ``schedule(epoch)`` also accepted). Adds ``learning_rate`` to
    each epoch's logs."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:  # the current API
            learning_rate = float(self.model.optimizer.learning_rate)
            learning_rate = self.schedule(epoch, learning_rate)
        except TypeError:  # the old one: schedule(epoch)
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, int) and not isinstance(learning_rate, bool):
            learning_rate = float(learning_rate)
        if not isinstance(learning_rate, (float, np.floating)):
            raise ValueError("The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        self.model.optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
