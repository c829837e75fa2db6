"""TF1's program scaffolding: tf.app.run with tf.app.flags / tf.flags, tf.gfile, tf.logging."""

import logging

import pytest

import layerkit.compat.v1 as tf


def test_flags_are_parsed_by_app_run():
    flags = tf.app.flags
    assert tf.flags is flags
    flags.DEFINE_integer("t_steps", 10, "how many steps")
    flags.DEFINE_float("t_rate", 0.5, "a rate")
    flags.DEFINE_boolean("t_fast", False, "quick run")
    flags.DEFINE_bool("t_check", True, "check")
    flags.DEFINE_string("t_dir", "/tmp/data", "where")
    flags.DEFINE_list("t_names", ["a"], "names")
    FLAGS = flags.FLAGS  # noqa: N806 - TF1's spelling
    assert (FLAGS.t_steps, FLAGS.t_rate, FLAGS.t_fast, FLAGS.t_dir) == (10, 0.5, False,
                                                                         "/tmp/data")
    seen = {}

    def main(argv):
        seen.update(argv=argv, steps=FLAGS.t_steps, rate=FLAGS.t_rate, fast=FLAGS.t_fast,
                    check=FLAGS.t_check, dir=FLAGS.t_dir, names=FLAGS.t_names)
        return 3

    with pytest.raises(SystemExit) as exited:
        tf.app.run(main, ["prog", "--t_steps=5", "--t_rate", "0.25", "--t_fast", "--not_check",
                          "--t_dir=/data", "--t_names=x,y", "leftover"])
    assert exited.value.code == 3
    assert seen == {"argv": ["prog", "leftover"], "steps": 5, "rate": 0.25, "fast": True,
                    "check": False, "dir": "/data", "names": ["x", "y"]}
    with pytest.raises(tf.app.flags.DuplicateFlagError, match="'t_steps' is defined twice"):
        flags.DEFINE_integer("t_steps", 1, "again")
    with pytest.raises(ValueError, match="--t_steps must be an integer, got 'many'"):
        FLAGS(["prog", "--t_steps=many"])
    with pytest.raises(AttributeError, match="Unknown flag --t_nope"):
        _ = FLAGS.t_nope
    FLAGS.t_steps = 7  # assignable, as in TF1
    assert FLAGS.t_steps == 7


def test_gfile_on_local_paths(tmp_path):
    folder = str(tmp_path / "a" / "b")
    assert not tf.gfile.Exists(folder)
    tf.gfile.MakeDirs(folder)
    assert tf.gfile.IsDirectory(folder)
    with tf.gfile.GFile(f"{folder}/x.txt", "w") as f:
        f.write("hello")
    with tf.gfile.Open(f"{folder}/x.txt") as f:
        assert f.read() == "hello"
    tf.gfile.Copy(f"{folder}/x.txt", f"{folder}/y.txt")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        tf.gfile.Copy(f"{folder}/x.txt", f"{folder}/y.txt")
    assert tf.gfile.ListDirectory(folder) == ["x.txt", "y.txt"]
    assert tf.gfile.Glob(f"{folder}/*.txt") == [f"{folder}/x.txt", f"{folder}/y.txt"]
    tf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not tf.gfile.Exists(str(tmp_path / "a"))


def test_logging_goes_to_the_tensorflow_logger(caplog):
    previous = tf.logging.get_verbosity()
    try:
        tf.logging.set_verbosity(tf.logging.INFO)
        with caplog.at_level(logging.INFO, logger="tensorflow"):
            tf.logging.info("step %d", 3)
            tf.logging.warn("careful")
            tf.logging.debug("hidden")
        messages = [(r.levelname, r.getMessage()) for r in caplog.records]
        assert messages == [("INFO", "step 3"), ("WARNING", "careful")]
    finally:
        tf.logging.set_verbosity(previous)
