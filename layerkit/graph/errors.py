"""Errors raised when running programs, named as in TensorFlow 1."""


class OpError(Exception):
    """A run could not be carried out."""


class InvalidArgumentError(OpError, ValueError):
    """A fed value or fetched element is not acceptable (wrong shape, dtype, graph...)."""


class FailedPreconditionError(OpError, RuntimeError):
    """The run needs something that is not ready, such as an uninitialized variable."""
