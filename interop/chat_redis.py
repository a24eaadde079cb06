"""Two chat instances sharing their room through a real Redis: a python-socketio client on one,
a `websockets` client and a grpcio client on the other, each hears what the others say.

Starts `redis-server` (Debian's package) on a free port and the two instances itself, and stops
them at the end. Usage: chat_redis.py CHAT_BINARY [SOCKETIO_BINARY]; with the second, two
instances of the Socket.IO example share their sockets too: a broadcast to everyone reaches a
client of the other instance.
"""

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import time

import grpc
import socketio
import websockets

import chat_pb2
import chat_pb2_grpc

passed = failed = 0
TIMEOUT = 10


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name} {detail}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis():
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not answer PING")


def start(binary, redis_url):
    process = subprocess.Popen(
        [binary, "--addr", "127.0.0.1:0", "--redis", redis_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("listening on http://"):
        process.kill()
        sys.exit(f"{binary} did not start: {line!r}")
    return process, line.removeprefix("listening on http://").strip()


class Events:
    """What a python-socketio client receives as one event, in order."""

    def __init__(self, sio, event):
        self.queue = asyncio.Queue()
        sio.on(event, self.queue.put_nowait)

    async def next(self):
        return await asyncio.wait_for(self.queue.get(), TIMEOUT)


def sio_event(frame):
    data = frame.get("data", {})
    return (data.get("kind"), data.get("user", ""), data.get("text", ""))


async def next_ws(ws):
    data = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)).get("data", {})
    return (data.get("kind"), data.get("user", ""), data.get("text", ""))


async def next_grpc(call):
    event = await asyncio.wait_for(call.read(), TIMEOUT)
    return (chat_pb2.Kind.Name(event.kind), event.user, event.text)


async def chat(first, second):
    sio = socketio.AsyncClient()
    heard = Events(sio, "chat")
    await sio.connect(f"http://{first}", wait_timeout=TIMEOUT)
    async with websockets.connect(f"ws://{second}/chat") as ws, grpc.aio.insecure_channel(second) as channel:
        await ws.send(json.dumps({"data": {"user": "ws-b"}}))
        check("WebSocket client on B joins", await next_ws(ws) == ("JOINED", "ws-b", ""))

        await sio.emit("chat", {"user": "sio-a"})
        joined = ("JOINED", "sio-a", "")
        check("Socket.IO client on A hears itself join", sio_event(await heard.next()) == joined)
        check("WebSocket client on B hears A's Socket.IO client join", await next_ws(ws) == joined)

        outbox = asyncio.Queue()

        async def requests():
            while (message := await outbox.get()) is not None:
                yield message

        await outbox.put(chat_pb2.ChatMessage(user="grpc-b"))
        call = chat_pb2_grpc.ChatStub(channel).Chat(requests())
        joined = ("JOINED", "grpc-b", "")
        check("gRPC client on B joins", await next_grpc(call) == joined)
        check("Socket.IO client on A hears B's gRPC client join", sio_event(await heard.next()) == joined)
        check("WebSocket client on B hears the gRPC client join", await next_ws(ws) == joined)

        said = ("MESSAGE", "sio-a", "from A over Socket.IO")
        await sio.emit("chat", {"text": said[2]})
        check("Socket.IO client on A hears itself", sio_event(await heard.next()) == said)
        check("WebSocket client on B hears A", await next_ws(ws) == said)
        check("gRPC client on B hears A", await next_grpc(call) == said)

        said = ("MESSAGE", "ws-b", "from B over a WebSocket 你好")
        await ws.send(json.dumps({"data": {"text": said[2]}}))
        check("WebSocket client on B hears itself", await next_ws(ws) == said)
        check("Socket.IO client on A hears B", sio_event(await heard.next()) == said)
        check("gRPC client on B hears its neighbour", await next_grpc(call) == said)

        said = ("MESSAGE", "grpc-b", "from B over gRPC")
        await outbox.put(chat_pb2.ChatMessage(text=said[2]))
        check("gRPC client on B hears itself", await next_grpc(call) == said)
        check("Socket.IO client on A hears B's gRPC client", sio_event(await heard.next()) == said)
        check("WebSocket client on B hears the gRPC client", await next_ws(ws) == said)

        end = await sio.call("chat", timeout=TIMEOUT)
        left = ("LEFT", "sio-a", "")
        check("Socket.IO client on A leaves: its stream ends", end == {"end": True}, end)
        check("WebSocket client on B hears A leave", await next_ws(ws) == left)
        check("gRPC client on B hears A leave", await next_grpc(call) == left)
        await outbox.put(None)
    await sio.disconnect()


async def sockets(first, second):
    """A broadcast to everyone on one Socket.IO example instance reaches the other's clients."""
    one, other = socketio.AsyncClient(), socketio.AsyncClient()
    on_other = Events(other, "message")
    await one.connect(f"http://{first}", wait_timeout=TIMEOUT)
    await other.connect(f"http://{second}", wait_timeout=TIMEOUT)
    await one.send("Hello guys. ")
    check("a `message` sent on A reaches B's client", await on_other.next() == {"a": "messagetest"})
    await one.disconnect()
    await other.disconnect()


def main():
    redis, url = start_redis()
    processes = [redis]
    try:
        a, first = start(sys.argv[1], url)
        b, second = start(sys.argv[1], url)
        processes += [a, b]
        asyncio.run(chat(first, second))
        if len(sys.argv) > 2:
            c, first = start(sys.argv[2], url)
            d, second = start(sys.argv[2], url)
            processes += [c, d]
            asyncio.run(sockets(first, second))
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait()
    print(f"chat over Redis: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
