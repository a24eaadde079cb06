"""The comparison's python-socketio client (interop/comparison/socketio_client.py, as the
comparison prints it) against the `socketio` example, with only its URL changed, while a second
client listens: it sees each `message` broadcast `{"a": "messagetest"}`. Then the events the
client does not send: `msg` answers its caller on `message`, `login` and `reply` reach everyone.

    python interop/socketio_comparison.py SOCKETIO_ADDR
"""

import asyncio
import pathlib
import subprocess
import sys

import socketio

addr = sys.argv[1]
url = f"http://{addr}"
TIMEOUT = 10
passed = failed = 0


def check(name, actual, expected):
    global passed, failed
    if actual == expected:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name}: got {actual!r}, expected {expected!r}")


class Heard:
    """The arguments of each event a client receives, by event, in order."""

    def __init__(self, sio, *events):
        self.queues = {event: asyncio.Queue() for event in events}
        for event, queue in self.queues.items():
            sio.on(event, lambda *args, queue=queue: queue.put_nowait(args))

    async def next(self, event):
        return await asyncio.wait_for(self.queues[event].get(), TIMEOUT)

    def empty(self, event):
        return self.queues[event].empty()


def comparison_client():
    """The comparison's script, its URL set to the example's."""
    script = pathlib.Path(__file__).with_name("comparison") / "socketio_client.py"
    source = script.read_text()
    original = "url = 'http://127.0.0.1:8080'"
    if original not in source:
        sys.exit(f"{script} no longer sets its URL as the comparison does")
    return source.replace(original, f"url = {url!r}")


async def main():
    listener = socketio.AsyncClient()
    heard = Heard(listener, "message", "login", "reply")
    await listener.connect(url, wait_timeout=TIMEOUT)

    run = await asyncio.create_subprocess_exec(
        sys.executable, "-c", comparison_client(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(run.communicate(), 60)
    check("the comparison's client exits 0", (run.returncode, err.decode()[-2000:]), (0, ""))
    check("it prints what the comparison shows", out.decode().splitlines(),
          [f"connected 2 {url}", f"disconnect from {url}"])
    # Its two `send` calls: each one tells every client.
    check("a second client sees the first `message` broadcast", await heard.next("message"),
          ({"a": "messagetest"},))
    check("a second client sees the second `message` broadcast", await heard.next("message"),
          ({"a": "messagetest"},))

    caller = socketio.AsyncClient()
    said = Heard(caller, "message", "msg")
    await caller.connect(url, wait_timeout=TIMEOUT)
    await caller.emit("msg", "use msg channel 2 send data")
    check("`msg` answers its caller on `message`", await said.next("message"),
          ("resend use msg channel 2 send data",))
    await caller.emit("msg", {"k": [1, 2]})
    check("`msg` says any other JSON as JSON", await said.next("message"),
          ('resend {"k":[1,2]}',))
    await caller.emit("login", {"user": "ann"})
    check("`login` reaches every client", await heard.next("login"), ({"a": "logintest"},))
    await caller.emit("reply", "?")
    check("`reply` reaches every client", await heard.next("reply"), (None,))
    # An ack gets the empty answer; without one, nothing comes back on the method's event.
    check("an ack gets the empty answer", await caller.call("message", "x", timeout=TIMEOUT),
          {"data": {}})
    check("`msg` was sent nothing back on its own event", said.empty("msg"), True)
    # The listener's next `message` is the broadcast of that call: an answer to `msg` would
    # have come before it.
    check("`msg` reached its caller only", await heard.next("message"), ({"a": "messagetest"},))
    await caller.disconnect()
    await listener.disconnect()


asyncio.run(main())
print(f"comparison's Socket.IO client: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
