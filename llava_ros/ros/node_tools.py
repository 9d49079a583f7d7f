"""Small helpers shared by the nodes: typed parameter tables, QoS profiles and ``main()`` spinning."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable

import rclpy
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

# Subscriptions to camera streams: BEST_EFFORT accepts both reliable and best-effort publishers;
# depth 1 because only the latest frame matters.
SENSOR_QOS = QoSProfile(reliability=ReliabilityPolicy.BEST_EFFORT, history=HistoryPolicy.KEEP_LAST, depth=1,
                        durability=DurabilityPolicy.VOLATILE)
# Camera publishers: RELIABLE matches both kinds of subscriber (the sim's own clients and RViz).
CAMERA_PUB_QOS = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST, depth=1,
                            durability=DurabilityPolicy.VOLATILE)
EVENT_QOS = 10  # answers, instructions, grasp targets/results: reliable, keep the last 10


@dataclass(frozen=True)
class Param:
    """One node parameter: its default fixes its type; ``bounds`` (lo, hi) is enforced by rclpy."""

    name: str
    default: Any
    description: str
    read_only: bool = False
    bounds: tuple[float, float] | None = None

    def descriptor(self) -> ParameterDescriptor:
        d = ParameterDescriptor(name=self.name, description=self.description, read_only=self.read_only)
        if self.bounds is not None and isinstance(self.default, bool):
            raise ValueError(f"parameter {self.name}: bounds make no sense for a bool")
        if self.bounds is not None and isinstance(self.default, int):
            d.integer_range = [IntegerRange(from_value=int(self.bounds[0]), to_value=int(self.bounds[1]), step=1)]
        elif self.bounds is not None:
            d.floating_point_range = [FloatingPointRange(from_value=float(self.bounds[0]),
                                                         to_value=float(self.bounds[1]), step=0.0)]
        return d


def declare(node: Node, params: tuple[Param, ...]) -> None:
    """Declare every parameter of ``params`` on ``node`` (overrides from --params-file / -p apply)."""
    for p in params:
        node.declare_parameter(p.name, p.default, p.descriptor())


def run(make_node: Callable[[], Node], num_threads: Callable[[Node], int] | int = 4, args=None) -> int:
    """``main()`` body: init, build the node, spin a multi-threaded executor until Ctrl-C, shut down."""
    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
        threads = num_threads(node) if callable(num_threads) else num_threads
        executor = MultiThreadedExecutor(num_threads=threads)
        executor.add_node(node)
        node.get_logger().info("ready")
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ValueError, FileNotFoundError, ParameterException) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
