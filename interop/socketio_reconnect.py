"""python-socketio reconnects by itself when the greeter example restarts: the script starts the
greeter on a fixed free port, connects (`AsyncClient`, then the sync `Client`), calls
`say_hello`, kills the server (SIGKILL), starts it again on the same port, waits for the client's
own reconnection (its `connect` handler running a second time, with a new session id) and calls
`say_hello` again. Every wait is bounded.

A graceful stop (SIGINT) is left out: the server then closes each Engine.IO session with a
`close` packet, and python-socketio does not reconnect when that packet reaches it first
(docs/socketio.md); interop/node/socketio.test.mjs restarts the greeter both ways.

    python interop/socketio_reconnect.py GREETER_BINARY
"""

import asyncio
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

import socketio

binary = sys.argv[1]
passed = failed = 0

HELLO = {"data": {"message": "hello 世界"}}
# The clients' defaults retry after 1, 2, 4, 5, 5... s (with jitter): a restart is seen in a few.
RECONNECT_TIMEOUT_S = 30
CALL_TIMEOUT_S = 10


def check(name, actual, expected):
    global passed, failed
    if actual == expected:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name}: got {actual!r}, expected {expected!r}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Greeter:
    """The greeter example on one loopback port, started and stopped by this script."""

    def __init__(self, port, directory):
        self.addr = f"127.0.0.1:{port}"
        self.directory = directory
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [binary, "--addr", self.addr, "--dir", self.directory],
            stdout=subprocess.PIPE,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        deadline = time.monotonic() + 20
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
            if not ready:
                raise RuntimeError(f"the greeter did not start on {self.addr} within 20 s")
            byte = os.read(self.process.stdout.fileno(), 1)
            if not byte:
                raise RuntimeError(f"the greeter exited before listening: {self.process.wait()}")
            line += byte
        expected = f"listening on http://{self.addr}\n".encode()
        if line != expected:
            raise RuntimeError(f"the greeter said {line!r}, not {expected!r}")

    def stop(self, signum):
        if self.process is None:
            return
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"FAILED: the greeter did not stop within 10 s of {signal.Signals(signum).name}")
            self.process.kill()
            self.process.wait()
        self.process = None


async def async_client(greeter, signum):
    label = f"AsyncClient across a {signal.Signals(signum).name} restart"
    sio = socketio.AsyncClient()
    connects = asyncio.Queue()
    disconnected = asyncio.Event()

    @sio.event
    async def connect():
        connects.put_nowait(sio.get_sid())

    @sio.event
    async def disconnect(reason):
        disconnected.set()

    try:
        await sio.connect(f"http://{greeter.addr}", wait_timeout=CALL_TIMEOUT_S)
        first = await asyncio.wait_for(connects.get(), CALL_TIMEOUT_S)
        check(f"{label}: say_hello before", await sio.call("say_hello", {"name": "世界"},
                                                           timeout=CALL_TIMEOUT_S), HELLO)
        await asyncio.to_thread(greeter.stop, signum)
        await asyncio.wait_for(disconnected.wait(), RECONNECT_TIMEOUT_S)
        await asyncio.to_thread(greeter.start)
        second = await asyncio.wait_for(connects.get(), RECONNECT_TIMEOUT_S)
        check(f"{label}: a new session", second != first, True)
        check(f"{label}: say_hello after", await sio.call("say_hello", {"name": "世界"},
                                                          timeout=CALL_TIMEOUT_S), HELLO)
    finally:
        await sio.disconnect()


def sync_client(greeter, signum):
    label = f"Client across a {signal.Signals(signum).name} restart"
    sio = socketio.Client()
    connects = queue.Queue()

    @sio.event
    def connect():
        connects.put(sio.get_sid())

    try:
        sio.connect(f"http://{greeter.addr}", wait_timeout=CALL_TIMEOUT_S)
        first = connects.get(timeout=CALL_TIMEOUT_S)
        check(f"{label}: say_hello before", sio.call("say_hello", {"name": "世界"},
                                                     timeout=CALL_TIMEOUT_S), HELLO)
        greeter.stop(signum)
        greeter.start()
        second = connects.get(timeout=RECONNECT_TIMEOUT_S)
        check(f"{label}: a new session", second != first, True)
        check(f"{label}: say_hello after", sio.call("say_hello", {"name": "世界"},
                                                    timeout=CALL_TIMEOUT_S), HELLO)
    finally:
        sio.disconnect()


def main():
    with tempfile.TemporaryDirectory() as directory:
        greeter = Greeter(free_port(), directory)
        try:
            greeter.start()
            asyncio.run(asyncio.wait_for(async_client(greeter, signal.SIGKILL), 120))
            greeter.stop(signal.SIGKILL)
            greeter.start()
            sync_client(greeter, signal.SIGKILL)
        finally:
            greeter.stop(signal.SIGKILL)


try:
    main()
except Exception as error:  # a timeout or a failed start: reported as one failure
    failed += 1
    print(f"FAILED: {type(error).__name__}: {error}")
print(f"python-socketio reconnection: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
