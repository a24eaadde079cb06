"""The WebSocket server a protoapi user would otherwise write in Python: python-socketio on aiohttp.

It serves protoapi's benchmark API (bench/src/bin/protoapi_server.rs) for bench/run.sh as
Socket.IO events: `echo` answers in its ack as protoapi's Socket.IO endpoint does,
`{"data": {...}}`; `ticks` emits `count` `tick` events, then acks `{"end": true}`.

    bench/.venv/bin/python bench/python/socketio_server.py --port 9303

A raw client: ws://127.0.0.1:9303/socket.io/?EIO=4&transport=websocket, send `40`, then
`421["echo",{"id":42,"name":"bench","tags":["a","b"]}]`; the ack is `431[{"data":{...}}]`; answer `2`
with `3`.
"""

import argparse

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp")
app = web.Application()
sio.attach(app)


def message(**fields):
    """A message in protoapi's JSON: fields at their default left out, u64 as strings."""
    return {k: str(v) if type(v) is int else v for k, v in fields.items() if v}


@sio.event
async def echo(sid, data):
    reply = message(id=int(data.get("id", 0)), message=f"hello {data.get('name', '')}",
                    tags=data.get("tags", []), payload=data.get("payload", ""))
    return {"data": reply}


@sio.event
async def ticks(sid, data):
    for seq in range(int(data.get("count", 0))):
        await sio.emit("tick", message(seq=seq, text="tick"), to=sid)
    return {"end": True}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    web.run_app(app, host="127.0.0.1", port=port, print=lambda _: print(f"listening on {port}", flush=True))
