"""How error messages quote values (``layerkit.utils.messages``)."""

from layerkit.utils.messages import REPR_LIMIT, short_repr


def test_short_values_are_quoted_whole():
    assert short_repr("relu") == "'relu'"
    assert short_repr([1, 2]) == "[1, 2]"


def test_long_values_are_cut_to_the_limit():
    text = short_repr("x" * 10_000)
    assert len(text) == REPR_LIMIT and text.startswith("'xxx") and text.endswith("...")


def test_a_config_shows_what_it_names_first():
    config = {"module": "m" * 200, "class_name": "function", "config": "Evil",
              "registered_name": "Evil"}
    text = short_repr(config)
    assert len(text) == REPR_LIMIT
    assert text.startswith("{'class_name': 'function', 'registered_name': 'Evil', 'config': "
                           "'Evil'")
