import pytest

from llava_ros.registry import Registry


def test_register_get_create_and_errors():
    things = Registry("thing")

    @things.register("box")
    class Box:
        def __init__(self, size=1):
            self.size = size

    assert Box.name == "box" and "box" in things and things.names() == ["box"]
    assert things.create("box", size=3).size == 3
    with pytest.raises(ValueError, match=r"unknown thing 'ball'; registered: \['box'\]"):
        things.get("ball")
    with pytest.raises(ValueError, match="thing 'box' is already registered"):
        things.register("box")(Box)
