"""python-socketio clients call the greeter example over Socket.IO: the asyncio client
(`AsyncClient`, over WebSocket and over HTTP long-polling) and the sync `Client`. Each method is
an event named after the Rust method; the ack's one argument is `{"data": ...}` or
`{"error": ...}`. A file goes up, and comes back down, as a binary attachment.

    python interop/socketio_client.py GREETER_ADDR
"""

import asyncio
import sys

import socketio

addr = sys.argv[1]
url = f"http://{addr}"
passed = failed = 0

HELLO = {"data": {"message": "hello 世界"}}
EMPTY_NAME = {
    "error": {
        "code": "invalid_argument",
        "message": "name must not be empty",
        "details": [],
    }
}
UNKNOWN = {
    "error": {
        "code": "unimplemented",
        "message": "unknown event `say_goodbye`",
        "details": [],
    }
}


def check(name, actual, expected):
    global passed, failed
    if actual == expected:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name}: got {actual!r}, expected {expected!r}")


async def async_client(transports):
    sio = socketio.AsyncClient()
    await sio.connect(url, transports=transports)
    label = f"AsyncClient {'+'.join(transports)}"
    check(f"{label} say_hello", await sio.call("say_hello", {"name": "世界"}, timeout=10), HELLO)
    check(f"{label} empty name", await sio.call("say_hello", {"name": ""}, timeout=10), EMPTY_NAME)
    check(f"{label} unknown event", await sio.call("say_goodbye", {}, timeout=10), UNKNOWN)
    # Without an ack, the answer comes back as the method's event.
    answered = asyncio.get_running_loop().create_future()
    sio.on("say_hello", lambda frame: answered.done() or answered.set_result(frame))
    await sio.emit("say_hello", {"name": "世界"})
    check(f"{label} answer as an event", await asyncio.wait_for(answered, 10), HELLO)
    # `bytes` travel as a binary attachment, read as the file's data.
    upload = {"testFile": {"name": "sio.bin", "contentType": "application/octet-stream",
                           "data": b"\x00\xffsocket"}}
    check(f"{label} upload with an attachment", await sio.call("upload", upload, timeout=10),
          {"data": {"status": "received sio.bin (8 bytes)"}})
    # The download's chunks come back as events, their `bytes` as binary attachments.
    chunks = asyncio.Queue()
    sio.on("download", chunks.put_nowait)
    check(f"{label} download ends", await sio.call("download", {"name": "sio.bin"}, timeout=10),
          {"end": True})
    check(f"{label} download's chunk carries bytes", await asyncio.wait_for(chunks.get(), 10),
          {"data": {"name": "sio.bin", "contentType": "application/octet-stream", "size": "8",
                    "data": b"\x00\xffsocket"}})
    await sio.disconnect()


def sync_client():
    sio = socketio.Client()
    sio.connect(url)
    check("Client say_hello", sio.call("say_hello", {"name": "世界"}, timeout=10), HELLO)
    check("Client empty name", sio.call("say_hello", {"name": ""}, timeout=10), EMPTY_NAME)
    sio.disconnect()


async def main():
    await async_client(["websocket"])
    await async_client(["polling"])
    # The default: polling first, then the upgrade to WebSocket.
    await async_client(["polling", "websocket"])


asyncio.run(main())
sync_client()
print(f"python-socketio: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
