"""TF1's program scaffolding: ``tf.app.run`` with ``tf.app.flags`` (also ``tf.flags``),
``tf.gfile`` and ``tf.logging``.

Flags are parsed with the standard library's ``argparse`` (TF1 used absl's flags): the
``--name=value``, ``--name value``, ``--flag``/``--noflag`` forms; unknown arguments are left
for ``main``. Reading a flag before ``tf.app.run`` parsed the command line gives its default.
"""

from __future__ import annotations

import argparse
import glob as _glob
import logging as _logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Any


class DuplicateFlagError(ValueError):
    """A flag defined twice."""


class _FlagValues:
    """``FLAGS``: each defined flag as an attribute."""

    def __init__(self) -> None:
        object.__setattr__(self, "_defs", {})
        object.__setattr__(self, "_values", {})

    def _define(self, name: str, default: Any, help_text: str, kind: str) -> None:
        if name in self._defs:
            raise DuplicateFlagError(f"The flag '{name}' is defined twice")
        self._defs[name] = (kind, help_text)
        self._values[name] = default

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name not in values:
            raise AttributeError(f"Unknown flag --{name}; defined flags are {sorted(values)}")
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(f"Unknown flag --{name}; define it with DEFINE_* first")
        self._values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __call__(self, argv: list[str]) -> list[str]:
        """Parse the defined flags out of ``argv`` (``argv[0]`` is the program); returns the
        program and the arguments left."""
        parser = argparse.ArgumentParser(prog=argv[0] if argv else None, add_help=True)
        for name, (kind, help_text) in self._defs.items():
            if kind == "bool":
                parser.add_argument(f"--{name}", nargs="?", const="true", default=None,
                                    help=help_text)
                parser.add_argument(f"--no{name}", dest=f"no_{name}", action="store_true")
            else:
                parser.add_argument(f"--{name}", default=None, help=help_text)
        parsed, rest = parser.parse_known_args(argv[1:])
        for name, (kind, _) in self._defs.items():
            given = getattr(parsed, name)
            if kind == "bool":
                if getattr(parsed, f"no_{name}"):
                    self._values[name] = False
                elif given is not None:
                    self._values[name] = _parse_bool(name, given)
            elif given is not None:
                self._values[name] = _parse(name, given, kind)
        return [argv[0] if argv else "", *rest]


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise ValueError(f"Flag --{name} must be true or false, got {text!r}")


def _parse(name: str, text: str, kind: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "list":
            return [item for item in text.split(",") if item]
    except ValueError:
        raise ValueError(f"Flag --{name} must be a{'n integer' if kind == 'integer' else ' float'}"
                         f", got {text!r}") from None
    return text


class _Flags:
    """``tf.app.flags`` / ``tf.flags``: the ``DEFINE_*`` functions and ``FLAGS``."""

    DuplicateFlagError = DuplicateFlagError

    def __init__(self) -> None:
        self.FLAGS = _FlagValues()

    def DEFINE_string(self, name: str, default: str | None, help: str = "") -> None:  # noqa: A002, N802
        self.FLAGS._define(name, default, help, "string")

    def DEFINE_integer(self, name: str, default: int | None, help: str = "") -> None:  # noqa: A002, N802
        self.FLAGS._define(name, default, help, "integer")

    def DEFINE_float(self, name: str, default: float | None, help: str = "") -> None:  # noqa: A002, N802
        self.FLAGS._define(name, default, help, "float")

    def DEFINE_boolean(self, name: str, default: bool | None, help: str = "") -> None:  # noqa: A002, N802
        self.FLAGS._define(name, default, help, "bool")

    DEFINE_bool = DEFINE_boolean

    def DEFINE_list(self, name: str, default: list[str] | None, help: str = "") -> None:  # noqa: A002, N802
        self.FLAGS._define(name, default, help, "list")


flags = _Flags()


def run(main: Callable[[list[str]], Any] | None = None, argv: list[str] | None = None) -> None:
    """Parse the flags out of ``argv`` (default ``sys.argv``), call ``main`` (default: the
    ``__main__`` module's ``main``) with what is left, and exit with its result."""
    remaining = flags.FLAGS(list(sys.argv if argv is None else argv))
    main = main or sys.modules["__main__"].main
    sys.exit(main(remaining))


class _App:
    """``tf.app``."""

    flags = flags
    run = staticmethod(run)


app = _App()


# -- tf.gfile ----------------------------------------------------------------------------------
class _GFile:
    """``tf.gfile``: file operations on local paths."""

    @staticmethod
    def Exists(path: str) -> bool:  # noqa: N802
        return os.path.exists(path)

    @staticmethod
    def IsDirectory(path: str) -> bool:  # noqa: N802
        return os.path.isdir(path)

    @staticmethod
    def MakeDirs(path: str) -> None:  # noqa: N802
        os.makedirs(path, exist_ok=True)

    @staticmethod
    def MkDir(path: str) -> None:  # noqa: N802
        os.mkdir(path)

    @staticmethod
    def DeleteRecursively(path: str) -> None:  # noqa: N802
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)

    @staticmethod
    def Remove(path: str) -> None:  # noqa: N802
        os.remove(path)

    @staticmethod
    def ListDirectory(path: str) -> list[str]:  # noqa: N802
        return sorted(os.listdir(path))

    @staticmethod
    def Glob(pattern: str) -> list[str]:  # noqa: N802
        return sorted(_glob.glob(pattern))

    @staticmethod
    def Copy(old_path: str, new_path: str, overwrite: bool = False) -> None:  # noqa: N802
        if os.path.exists(new_path) and not overwrite:
            raise FileExistsError(f"gfile.Copy: {new_path} exists (pass overwrite=True)")
        shutil.copyfile(old_path, new_path)

    @staticmethod
    def Rename(old_path: str, new_path: str, overwrite: bool = False) -> None:  # noqa: N802
        if os.path.exists(new_path) and not overwrite:
            raise FileExistsError(f"gfile.Rename: {new_path} exists (pass overwrite=True)")
        os.replace(old_path, new_path)

    @staticmethod
    def Walk(top: str, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:  # noqa: N802
        yield from os.walk(top, topdown=in_order)

    @staticmethod
    def GFile(name: str, mode: str = "r") -> Any:  # noqa: N802
        return open(name, mode)  # noqa: SIM115 - returned to the caller, as TF's GFile is

    Open = GFile
    FastGFile = GFile


gfile = _GFile()


# -- tf.logging ----------------------------------------------------------------------------------
class _Logging:
    """``tf.logging``: TF1's logging functions on the standard ``logging`` module's
    ``"tensorflow"`` logger."""

    DEBUG, INFO, WARN, ERROR, FATAL = (_logging.DEBUG, _logging.INFO, _logging.WARNING,
                                       _logging.ERROR, _logging.FATAL)

    def __init__(self) -> None:
        self._logger = _logging.getLogger("tensorflow")

    def set_verbosity(self, level: int) -> None:
        self._logger.setLevel(level)

    def get_verbosity(self) -> int:
        return self._logger.getEffectiveLevel()

    def debug(self, msg: str, *args: Any) -> None:
        self._logger.debug(msg, *args)

    def info(self, msg: str, *args: Any) -> None:
        self._logger.info(msg, *args)

    def warning(self, msg: str, *args: Any) -> None:
        self._logger.warning(msg, *args)

    warn = warning

    def error(self, msg: str, *args: Any) -> None:
        self._logger.error(msg, *args)

    def fatal(self, msg: str, *args: Any) -> None:
        self._logger.critical(msg, *args)


logging = _Logging()

__all__ = ["DuplicateFlagError", "app", "flags", "gfile", "logging", "run"]
