"""The provisioning worker as a process of its own ([decided] P-10), seen from the server process that starts it.

A worker thread shares its server process's GIL with the request handlers: while jobs run (each parses STS's and
CloudFormation's XML and builds botocore clients), a request waits for the interpreter as well as for a CPU, and
no niceness helps with the first. So each server process starts one child, `python -m
openproton.provisioning_worker` (the other side, provisioning_worker.py), which runs the worker thread at a lower OS
priority on the same database; leases (P-11) already keep workers in many processes from running a job twice.

The two talk over a socket pair, a byte at a time: WAKE when a job was posted here (the child wakes at once rather
than at its next poll) and STOP when the server stops (the child stops as the thread would: a job under way stays
for its next claim). When the server process dies without saying STOP, the child reads the end of the stream and
exits at once, as a thread dies with its process. A child that exits by itself is started again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from .provisioners import JobBoard

log = logging.getLogger("openproton.provisioning")

WAKE = b"w"
STOP = b"q"
# The child's own stop gives its worker thread 30 s (Provisioning.stop); past this it is killed.
STOP_SECONDS = 40.0
# A child that keeps exiting is started again after longer and longer pauses, back to the first once one has lived
# for a minute.
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
HEALTHY_SECONDS = 60.0


class WorkerProcess:
    """Starts, wakes, restarts and stops the worker process of this server process."""

    def __init__(self, board: JobBoard, settings_env: Mapping[str, str]) -> None:
        # The child rebuilds the settings from these OPENPROTON_* variables, as `serve --workers` children do; the
        # rest of the environment (AWS credentials, secrets for CodeBuild runs) is the server's own.
        self.environ = {**os.environ, **settings_env}
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        board.also_wake(self.wake)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def start(self) -> None:
        if self._watcher is not None:
            return
        self._stopping.clear()
        with self._lock:
            self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="openproton-provisioning-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        """A new child and its channel (called holding the lock)."""
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "openproton.provisioning_worker", str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
                env=self.environ,
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the child holds the only other copy: its exit is our end of stream, and ours its
        ours.setblocking(False)  # a wake never stalls a request
        old, self._process, self._channel = self._channel, process, ours
        if old is not None:
            old.close()

    def wake(self) -> None:
        """A job was posted here (after its commit): the child claims it now."""
        channel = self._channel
        if channel is None:
            return
        # Full: a wake is waiting to be read already. Closed: a new child is starting, and it looks for jobs first.
        with contextlib.suppress(OSError):
            channel.send(WAKE)

    def _watch(self) -> None:
        failures = 0
        while True:
            process = self._process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= HEALTHY_SECONDS:
                failures = 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            failures += 1
            log.error(
                "the provisioning worker process %d exited with %s; starting another in %g s", process.pid, code, delay
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._spawn()
                except OSError:
                    log.exception("the provisioning worker process could not be started")
                    return

    def stop(self) -> None:
        """Tell the child to stop and wait for it (it leaves a job under way to the next claim); kill it past
        STOP_SECONDS."""
        if self._watcher is None:
            return
        self._stopping.set()
        with self._lock:
            process, channel = self._process, self._channel
            self._channel = None
        if channel is not None:
            with contextlib.suppress(OSError):
                channel.settimeout(5)
                channel.sendall(STOP)
        if process is not None:
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.error("the provisioning worker process %d did not stop; killing it", process.pid)
                process.kill()
                process.wait()
        if channel is not None:
            channel.close()
        self._watcher.join(5)
        self._watcher = None
