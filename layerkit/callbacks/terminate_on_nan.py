"""``TerminateOnNaN``: stop training as soon as a batch loss is NaN or infinite."""

from __future__ import annotations

import numpy as np

from layerkit.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Sets ``model.stop_training`` when the loss of a training batch is NaN or inf."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
            self.model.stop_training = True
