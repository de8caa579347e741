"""`python -m openproton.provisioning_worker FD SERVER_PID`: the provisioning worker process of one server process
([decided] P-10; the server's side, and why a process, is in proton/worker_process.py).

It runs the same worker as a server's thread would (Provisioning, with this process's provisioners), on the same
database, at a lower OS priority, and answers no requests. Its settings come from OPENPROTON_* variables, as for
`serve --workers`; the server migrated the schema before starting it. FD is its end of the server's channel: a
WAKE byte passes a posted job's wake-up on to the worker, STOP (or SIGTERM) stops it as Provisioning.stop does,
and the end of the stream (the server died) ends this process at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from types import FrameType

from openproton.proton.provisioners import JobBoard
from openproton.proton.provisioning import WORKER_NICENESS
from openproton.proton.worker_process import STOP


class _Stop(Exception):
    """SIGTERM: stop as if the server had said STOP."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def relay(channel: socket.socket, board: JobBoard) -> bool:
    """Pass the server's wakes on to the worker until it says STOP (True) or is gone (False)."""
    while True:
        data = channel.recv(256)
        if not data:
            return False
        if STOP in data:
            return True
        board.posted()


def main(argv: list[str]) -> int:
    from openproton.server import open_database
    from openproton.service import OpenProton
    from openproton.settings import Settings

    channel = socket.socket(fileno=int(argv[0]))
    server_pid = int(argv[1])
    # The whole process yields the CPU to the server's request handlers (the worker thread's own niceness, set in
    # Provisioning._loop, is the same value).
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    # Ctrl-C reaches the whole process group; the server stops, and then tells this process to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate)
    service = None
    try:
        settings = Settings.from_env()
        service = OpenProton(settings, open_database(settings), server=True, worker_for=server_pid)
        service.provisioning.start()
        told = relay(channel, service.provider.board)
    except _Stop:
        told = True
    if not told:
        os._exit(0)  # the server is gone: so is its worker, mid-job or not (the lease runs out; P-11)
    if service is not None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already
        service.provisioning.stop()
        service.database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
