"""Callbacks: hooks into ``fit``, ``evaluate`` and ``predict``."""

from layerkit.callbacks.backup_and_restore import BackupAndRestore
from layerkit.callbacks.callback import Callback, CallbackList
from layerkit.callbacks.csv_logger import CSVLogger
from layerkit.callbacks.early_stopping import EarlyStopping
from layerkit.callbacks.history import History, ProgbarLogger
from layerkit.callbacks.lambda_callback import LambdaCallback
from layerkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from layerkit.callbacks.model_checkpoint import ModelCheckpoint
from layerkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from layerkit.callbacks.tensorboard import TensorBoard
from layerkit.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BackupAndRestore", "Callback", "CallbackList", "CSVLogger", "EarlyStopping",
           "History", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint",
           "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
