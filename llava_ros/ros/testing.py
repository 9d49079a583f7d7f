"""Helpers for tests and scripts that talk to the nodes in-process: spin in a thread, wait on conditions.

    with Spinner([node, client], context=ctx):
        wait_for_subscribers(publisher)          # discovery: wait for matching, never sleep blindly
        publisher.publish(msg)
        wait_for(lambda: received, 10.0, "an answer")
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from rclpy.executors import MultiThreadedExecutor

DISCOVERY_TIMEOUT_S = 15.0


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll_s: float = 0.01):
    """Poll ``condition`` until it is truthy and return its value; TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(poll_s)


def wait_for_subscribers(publisher, count: int = 1, timeout: float = DISCOVERY_TIMEOUT_S) -> None:
    wait_for(lambda: publisher.get_subscription_count() >= count, timeout,
             f"{count} subscriber(s) on {publisher.topic_name}")


def wait_for_publishers(subscription, node, count: int = 1, timeout: float = DISCOVERY_TIMEOUT_S) -> None:
    topic = subscription.topic_name
    wait_for(lambda: node.count_publishers(topic) >= count, timeout, f"{count} publisher(s) on {topic}")


class Spinner:
    """Spin ``nodes`` on a multi-threaded executor in a background thread until :meth:`stop`."""

    def __init__(self, nodes, context=None, num_threads: int = 8):
        self.executor = MultiThreadedExecutor(num_threads=num_threads, context=context)
        for node in nodes:
            self.executor.add_node(node)
        self._thread = threading.Thread(target=self.executor.spin, name="ros_spinner", daemon=True)
        self._thread.start()

    def add(self, node) -> None:
        self.executor.add_node(node)

    def stop(self) -> None:
        self.executor.shutdown(timeout_sec=5.0)
        self._thread.join(timeout=5.0)

    def __enter__(self) -> "Spinner":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
