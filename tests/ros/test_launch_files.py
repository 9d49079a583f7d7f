"""Launch files and parameter YAML agree with what the nodes declare (launch_ros is not installable
here, so launch files are parsed with ``ast``; the nodes are built from the same YAML)."""
import ast
import importlib
import re
from pathlib import Path

import pytest
import rclpy
import yaml
from rclpy.parameter import Parameter

from llava_ros.launcher import NODES, params_dir
from tests.tiny import save_tiny_checkpoint

LAUNCH = Path(__file__).resolve().parents[2] / "launch"
BUILTIN = {"use_sim_time", "start_type_description_service"}


def _launch_nodes(path: Path) -> list[dict]:
    """Keyword arguments (constants, plus the yaml names a file mentions) of every ``Node(...)`` call."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Node":
            kwargs = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
            kwargs["keywords"] = {k.arg for k in call.keywords}
            nodes.append(kwargs)
    yamls = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and str(n.value).endswith(".yaml")}
    return [dict(n, yamls=yamls) for n in nodes]


def _declared(key: str) -> tuple[str, dict]:
    module = importlib.import_module(NODES[key].params_module)
    return module.NODE_NAME, {p.name: p.default for p in module.PARAMETERS}


@pytest.mark.parametrize("key", sorted(NODES))
def test_launch_file_starts_the_node_with_its_yaml(key):
    spec = NODES[key]
    (node,) = _launch_nodes(LAUNCH / f"{key}.launch.py")
    name, _ = _declared(key)
    assert node["package"] == "llava_ros" and node["executable"] == spec.executable and node["name"] == name
    assert "parameters" in node["keywords"] and node["yamls"] == {spec.yaml}
    assert hasattr(importlib.import_module(spec.module), "main")


@pytest.mark.parametrize("key", sorted(NODES))
def test_yaml_sets_only_declared_parameters_and_documents_all(key):
    name, declared = _declared(key)
    path = params_dir() / NODES[key].yaml
    loaded = yaml.safe_load(path.read_text())
    assert set(loaded) == {name}
    values = loaded[name]["ros__parameters"]
    assert set(values) <= set(declared), f"undeclared: {set(values) - set(declared)}"
    for param, value in values.items():
        assert type(value) is type(declared[param]), f"{param}: YAML {value!r} vs declared {declared[param]!r}"
    text = path.read_text()
    undocumented = [p for p in declared if not re.search(rf"^\s*#\s*(\w+, )*{p}\b", text, re.M)]
    assert not undocumented, f"no comment line starts with {undocumented}"


@pytest.fixture(scope="module")
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.shutdown(context=ctx)


def test_nodes_built_from_the_yaml_declare_exactly_the_documented_parameters(context, tmp_path):
    from llava_ros.ros.perception_node import LlavaPerceptionNode
    from sim.ros_node import SimNode

    ckpt = save_tiny_checkpoint(tmp_path / "tiny")
    for key, make in (("sim", SimNode), ("perception", LlavaPerceptionNode)):
        name, declared = _declared(key)
        yaml_path = params_dir() / NODES[key].yaml
        extra = [Parameter("model_path", value=str(ckpt))] if key == "perception" else []
        node = make(context=context, cli_args=["--ros-args", "--params-file", str(yaml_path)],
                    parameter_overrides=extra)
        try:
            assert node.get_name() == name
            listed = set(node.list_parameters([], 0).names) - BUILTIN
            assert listed == set(declared)
            for param, value in yaml.safe_load(yaml_path.read_text())[name]["ros__parameters"].items():
                assert node.get_parameter(param).value == value
            assert all(node.describe_parameter(p).description for p in declared)
        finally:
            node.destroy_node()
