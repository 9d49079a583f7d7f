"""One thread that runs generation jobs in order, with a bounded queue (no ROS here).

    worker = GenerationWorker(capacity=4)
    future = worker.submit(job)          # raises Busy when `capacity` jobs are already waiting
    result = future.result(timeout=60)   # concurrent.futures.Future

Callbacks never run generation themselves: they submit and either return (topics) or wait on the
future (services, on a reentrant callback group of a multi-threaded executor).
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable


class Busy(RuntimeError):
    """The queue is full; the message starts with "busy:"."""


class GenerationWorker:
    def __init__(self, capacity: int, name: str = "llava_ros_generation"):
        if capacity < 1:
            raise ValueError(f"queue capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._jobs: queue.Queue = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False
        self._thread.start()

    @property
    def waiting(self) -> int:
        return self._jobs.qsize()

    def submit(self, fn: Callable[[], Any]) -> Future:
        """Queue ``fn`` behind the jobs already waiting; :class:`Busy` if ``capacity`` are waiting."""
        if self._stopped:
            raise RuntimeError("generation worker is stopped")
        future: Future = Future()
        try:
            self._jobs.put_nowait((fn, future))
        except queue.Full:
            raise Busy(f"busy: {self.capacity} requests already waiting for the model "
                       f"(queue_size={self.capacity}); request dropped") from None
        return future

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel waiting jobs and end the thread after the running one."""
        self._stopped = True
        while True:
            try:
                _, future = self._jobs.get_nowait()
            except queue.Empty:
                break
            future.cancel()
        self._jobs.put((None, None))
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            fn, future = self._jobs.get()
            if fn is None:
                return
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while waiting (e.g. its service call timed out)
            try:
                future.set_result(fn())
            except BaseException as err:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(err)
