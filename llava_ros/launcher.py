"""``llava-ros launch sim|perception|all``: start the ROS 2 nodes as processes, without ``ros2 launch``.

    llava-ros launch all --set perception.model_path=/models/llava-ros-sim
    llava-ros launch sim --params my_sim.yaml --set seed=3 --set rate_hz=10
    python -m llava_ros.launcher sim --print       # show the commands only

For pip-only machines (launch_ros is not on PyPI). Starts the nodes of ``launch/*.launch.py`` with
the same parameter YAML (``launch/params/<node>.yaml``), then any ``--params FILE`` (later files win;
files are keyed by node name, so one file may hold both nodes), then ``--set`` values
(``name=value`` for every started node that declares ``name``, ``sim.name=value`` or
``perception.name=value`` for one). Each node runs as
``python -m <module> --ros-args --params-file ...``, with loopback-only discovery unless the
environment says otherwise. Ctrl-C (or SIGTERM) is forwarded to the nodes as SIGINT; when one node
exits, the others are stopped, and the launcher returns that node's exit status.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from llava_ros.commandline import standalone_main

LOOPBACK_ENV = {"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST", "ROS_LOCALHOST_ONLY": "1", "MUJOCO_GL": "egl"}
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class NodeSpec:
    key: str  # "sim" | "perception"
    executable: str  # console script (setup.py) that launch/*.launch.py runs
    module: str  # python -m <module>
    params_module: str  # holds NODE_NAME and PARAMETERS
    yaml: str  # file name in launch/params


NODES = {
    "sim": NodeSpec("sim", "sim_node", "sim.ros_node", "sim.ros_params", "sim.yaml"),
    "perception": NodeSpec("perception", "perception_node", "llava_ros.ros.perception_node",
                           "llava_ros.ros.perception_params", "perception.yaml"),
}
TARGETS = {"sim": ("sim",), "perception": ("perception",), "all": ("sim", "perception")}


def params_dir() -> Path:
    """``launch/params`` of the source tree, else of the installed package's share folder."""
    for folder in (Path(__file__).resolve().parents[1] / "launch" / "params",
                   Path(sys.prefix) / "share" / "llava_ros" / "launch" / "params"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError("launch/params not found in the source tree or under sys.prefix/share/llava_ros")


def declared(spec: NodeSpec) -> dict:
    """Parameter name → default of ``spec``'s node."""
    import importlib

    return {p.name: p.default for p in importlib.import_module(spec.params_module).PARAMETERS}


def _ros_value(value: str, default) -> str:
    """``--set`` text → a ``-p`` value of the declared type (``rate_hz=10`` → ``10.0``)."""
    if isinstance(default, float) and not isinstance(default, bool):
        try:
            return repr(float(value))
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if isinstance(default, str):
        return "'" + value.replace("'", "''") + "'"  # YAML string even for "1" or "true"
    return value


def node_command(spec: NodeSpec, params_files: list[str], sets: list[str]) -> list[str]:
    """The command that starts ``spec``'s node with its YAML, extra files and ``--set`` values."""
    names = declared(spec)
    cmd = [sys.executable, "-m", spec.module, "--ros-args", "--params-file", str(params_dir() / spec.yaml)]
    for path in params_files:
        if not Path(path).is_file():
            raise FileNotFoundError(f"parameter file {path} does not exist")
        cmd += ["--params-file", str(Path(path).resolve())]
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--set {item!r}: expected name=value or node.name=value")
        node, _, param = name.rpartition(".")
        if node and node not in NODES:
            raise ValueError(f"--set {item!r}: unknown node {node!r}; use one of {sorted(NODES)}")
        if (node and node != spec.key) or (not node and param not in names):
            continue  # meant for the other node (bare names are checked in commands())
        if param not in names:
            raise ValueError(f"--set {item!r}: node {spec.key} has no parameter {param!r}; it has {sorted(names)}")
        try:
            cmd += ["-p", f"{param}:={_ros_value(value, names[param])}"]
        except ValueError as err:
            raise ValueError(f"--set {item!r}: {err}") from None
    return cmd


def commands(target: str, params_files: list[str], sets: list[str]) -> dict[str, list[str]]:
    if target not in TARGETS:
        raise ValueError(f"unknown launch target {target!r}; use one of {sorted(TARGETS)}")
    specs = [NODES[k] for k in TARGETS[target]]
    for item in sets:  # a bare name must belong to at least one started node
        name = item.partition("=")[0]
        if "." not in name and not any(name in declared(s) for s in specs):
            raise ValueError(f"--set {item!r}: no started node declares {name!r}")
    return {s.key: node_command(s, params_files, sets) for s in specs}


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in LOOPBACK_ENV.items():
        env.setdefault(key, value)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def launch(cmds: dict[str, list[str]]) -> int:
    """Run the commands until one exits or we are told to stop; stop the rest; return a status."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for key, cmd in cmds.items():
            # Own session: a terminal Ctrl-C reaches only us, and we forward it exactly once.
            procs[key] = subprocess.Popen(cmd, env=child_env(), start_new_session=True)
            print(f"[launch] started {key} (pid {procs[key].pid}): {shlex.join(cmd)}", flush=True)
        while not stop.wait(0.2):
            exited = [(k, p.returncode) for k, p in procs.items() if p.poll() is not None]
            if exited:
                key, status = exited[0]
                print(f"[launch] {key} exited with status {status}; stopping the others", flush=True)
                break
    finally:
        _stop_all(procs)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _stop_all(procs: dict[str, subprocess.Popen]) -> None:
    for sig, grace in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        alive = [p for p in procs.values() if p.poll() is None]
        if not alive:
            return
        for p in alive:
            p.send_signal(sig)
        for p in alive:
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=sorted(TARGETS), help="which nodes: sim, perception or all")
    parser.add_argument("--params", action="append", default=[], metavar="FILE",
                        help="extra parameter YAML after launch/params/<node>.yaml (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="parameter override: name=value, sim.name=value or perception.name=value (repeatable)")
    parser.add_argument("--print", action="store_true", help="print the node commands and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cmds = commands(args.target, args.params, args.set)
    if args.print:
        for cmd in cmds.values():
            print(shlex.join(cmd))
        return 0
    return launch(cmds)


def main(argv: list[str] | None = None) -> int:
    return standalone_main("llava-ros launch", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
