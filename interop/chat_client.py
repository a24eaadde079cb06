"""Three clients in the chat example's one room: Python `websockets` with JSON text frames,
`websockets` with binary `protoapi.Frame` frames, and grpcio's asyncio client on the
bidirectional rpc, all generated from the example's printed .proto files."""

import asyncio
import json
import sys

import grpc
import websockets

import chat_pb2
import chat_pb2_grpc
from protoapi import types_pb2

addr = sys.argv[1]
passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name} {detail}")


async def next_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def next_binary(ws):
    frame = types_pb2.Frame()
    frame.ParseFromString(await asyncio.wait_for(ws.recv(), 10))
    return frame


def event_of(frame):
    event = chat_pb2.ChatEvent()
    event.ParseFromString(frame.data)
    return (chat_pb2.Kind.Name(event.kind), event.user, event.text)


def json_event(frame):
    data = frame.get("data", {})
    return (data.get("kind"), data.get("user", ""), data.get("text", ""))


async def main():
    url = f"ws://{addr}/chat"
    async with websockets.connect(url) as text_ws, websockets.connect(url) as binary_ws:
        await text_ws.send(json.dumps({"id": 1, "data": {"user": "py-json"}}))
        frame = await next_json(text_ws)
        check("JSON client joins", frame == {"id": 1, "data": {"kind": "JOINED", "user": "py-json"}}, frame)

        join = types_pb2.Frame(id="b", data=chat_pb2.ChatMessage(user="py-proto").SerializeToString())
        await binary_ws.send(join.SerializeToString())
        frame = await next_binary(binary_ws)
        check("binary client joins", frame.id == "b" and event_of(frame) == ("JOINED", "py-proto", ""), frame)
        frame = await next_json(text_ws)
        check("JSON client sees the binary one join", json_event(frame) == ("JOINED", "py-proto", ""), frame)

        async with grpc.aio.insecure_channel(addr) as channel:
            stub = chat_pb2_grpc.ChatStub(channel)
            outbox = asyncio.Queue()

            async def requests():
                while (message := await outbox.get()) is not None:
                    yield message

            await outbox.put(chat_pb2.ChatMessage(user="py-grpc"))
            call = stub.Chat(requests())
            event = await asyncio.wait_for(call.read(), 10)
            check("gRPC client joins", (chat_pb2.Kind.Name(event.kind), event.user) == ("JOINED", "py-grpc"), event)
            frame = await next_json(text_ws)
            check("JSON client sees the gRPC one join", json_event(frame) == ("JOINED", "py-grpc", ""), frame)
            frame = await next_binary(binary_ws)
            check("binary client sees the gRPC one join", event_of(frame) == ("JOINED", "py-grpc", ""), frame)

            await text_ws.send(json.dumps({"id": 1, "data": {"text": "你好"}}))
            expected = ("MESSAGE", "py-json", "你好")
            frame = await next_json(text_ws)
            check("JSON client hears itself", json_event(frame) == expected, frame)
            frame = await next_binary(binary_ws)
            check("binary client hears it", event_of(frame) == expected, frame)
            event = await asyncio.wait_for(call.read(), 10)
            check("gRPC client hears it",
                  (chat_pb2.Kind.Name(event.kind), event.user, event.text) == expected, event)

            await binary_ws.send(types_pb2.Frame(id="b", end=True).SerializeToString())
            frame = await next_binary(binary_ws)
            check("binary client sees itself leave", event_of(frame) == ("LEFT", "py-proto", ""), frame)
            frame = await next_binary(binary_ws)
            check("binary client's stream ends", frame.id == "b" and frame.end, frame)
            frame = await next_json(text_ws)
            check("JSON client sees the binary one leave", json_event(frame) == ("LEFT", "py-proto", ""), frame)
            event = await asyncio.wait_for(call.read(), 10)
            check("gRPC client sees the binary one leave", (chat_pb2.Kind.Name(event.kind), event.user) == ("LEFT", "py-proto"), event)

            await outbox.put(None)
            event = await asyncio.wait_for(call.read(), 10)
            check("gRPC client sees itself leave", (chat_pb2.Kind.Name(event.kind), event.user) == ("LEFT", "py-grpc"), event)
            end = await asyncio.wait_for(call.read(), 10)
            check("gRPC stream ends with OK", end is grpc.aio.EOF and await call.code() == grpc.StatusCode.OK, end)
            frame = await next_json(text_ws)
            check("JSON client sees the gRPC one leave", json_event(frame) == ("LEFT", "py-grpc", ""), frame)

        # A frame that is no JSON gets an error frame, and the connection stays.
        await text_ws.send("{oops")
        frame = await next_json(text_ws)
        check("bad frame answered with an error frame",
              frame.get("error", {}).get("code") == "invalid_argument" and "id" not in frame, frame)


asyncio.run(main())
print(f"chat: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
