"""Calls the greeter and dating examples through stubs generated from their `--proto-out` files."""

import sys

import grpc

import date_pb2 as dating_pb2
import date_pb2_grpc as dating_pb2_grpc
import hello_pb2 as greeter_pb2
import hello_pb2_grpc as greeter_pb2_grpc
from protoapi import types_pb2

greeter_addr, dating_addr = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name} {detail}")


with grpc.insecure_channel(dating_addr) as channel:
    dating = dating_pb2_grpc.DatingStub(channel)
    feel = dating.Eating(dating_pb2.Eat(food="steak"), timeout=10)
    check("Dating.Eating(food='steak') feels good", feel.feeling is True, repr(feel))
    feel = dating.WatchMovie(dating_pb2.Movie(film="星际穿越"), timeout=10)
    check("Dating.WatchMovie(film='星际穿越') feels good", feel.feeling is True, repr(feel))

with grpc.insecure_channel(greeter_addr) as channel:
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    reply = greeter.SayHello(greeter_pb2.HelloRequest(name="火锅"), timeout=10)
    check("Greeter.SayHello(name='火锅')", reply.message == "hello 火锅", repr(reply.message))
    try:
        greeter.SayHello(greeter_pb2.HelloRequest(name=""), timeout=10)
        check("Greeter.SayHello(name='') fails", False, "no error")
    except grpc.RpcError as error:
        check(
            "Greeter.SayHello(name='') is INVALID_ARGUMENT",
            error.code() == grpc.StatusCode.INVALID_ARGUMENT
            and error.details() == "name must not be empty",
            f"{error.code()} {error.details()!r}",
        )

    # Upload a protoapi.File, then download it as a stream of protoapi.FileChunk.
    content = "星际穿越\n".encode() * 50000
    upload = greeter_pb2.UploadReq(
        test_file=types_pb2.File(name="../星际穿越.txt", content_type="text/plain", data=content)
    )
    rsp = greeter.Upload(upload, timeout=10)
    check(
        "Greeter.Upload(protoapi.File) stores it under its safe name",
        rsp.status == f"received 星际穿越.txt ({len(content)} bytes)",
        repr(rsp.status),
    )
    chunks = list(greeter.Download(greeter_pb2.DownloadReq(name="星际穿越.txt"), timeout=10))
    first = chunks[0]
    check(
        "Greeter.Download streams FileChunks, the first with name, type and size",
        first.name == "星际穿越.txt" and first.size == len(content) and len(chunks) > 1,
        f"{first.name!r} {first.size} {len(chunks)} chunks",
    )
    check(
        "Greeter.Download chunks add up to the upload",
        b"".join(c.data for c in chunks) == content,
        f"{sum(len(c.data) for c in chunks)} bytes",
    )
    # The same upload in pieces: UploadChunks, a client stream of UploadChunk messages.
    def pieces(data, size=64 * 1024):
        yield greeter_pb2.UploadChunk(request=greeter_pb2.UploadReq())
        yield greeter_pb2.UploadChunk(
            file=types_pb2.FileChunk(name="chunked.txt", content_type="text/plain", size=len(data), data=data[:size])
        )
        for start in range(size, len(data), size):
            yield greeter_pb2.UploadChunk(file=types_pb2.FileChunk(data=data[start : start + size]))

    big = content * 8
    rsp = greeter.UploadChunks(pieces(big), timeout=30)
    check(
        "Greeter.UploadChunks stores a file sent in FileChunk pieces",
        rsp.status == f"received chunked.txt ({len(big)} bytes)",
        repr(rsp.status),
    )
    back = b"".join(c.data for c in greeter.Download(greeter_pb2.DownloadReq(name="chunked.txt"), timeout=30))
    check("Greeter.UploadChunks pieces add up to the file", back == big, f"{len(back)} bytes")
    try:
        greeter.UploadChunks(
            iter([greeter_pb2.UploadChunk(file=types_pb2.FileChunk(name="x", field="nope"))]), timeout=10
        )
        check("Greeter.UploadChunks(field='nope') fails", False, "no error")
    except grpc.RpcError as error:
        check(
            "Greeter.UploadChunks(field='nope') is INVALID_ARGUMENT",
            error.code() == grpc.StatusCode.INVALID_ARGUMENT
            and error.details() == "no file field `nope` in UploadReq",
            f"{error.code()} {error.details()!r}",
        )
    try:
        list(greeter.Download(greeter_pb2.DownloadReq(name="nope"), timeout=10))
        check("Greeter.Download(nope) fails", False, "no error")
    except grpc.RpcError as error:
        check("Greeter.Download(nope) is NOT_FOUND", error.code() == grpc.StatusCode.NOT_FOUND, str(error.code()))

# Compression as production clients turn it on: per call, and for a whole channel.
with grpc.insecure_channel(greeter_addr) as channel:
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    reply = greeter.SayHello(
        greeter_pb2.HelloRequest(name="gzip"), timeout=10, compression=grpc.Compression.Gzip
    )
    check("Greeter.SayHello with a gzip call", reply.message == "hello gzip", repr(reply.message))
with grpc.insecure_channel(greeter_addr, compression=grpc.Compression.Gzip) as channel:
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    reply = greeter.SayHello(greeter_pb2.HelloRequest(name="频道"), timeout=10)
    check("Greeter.SayHello on a gzip channel", reply.message == "hello 频道", repr(reply.message))
with grpc.insecure_channel(dating_addr, compression=grpc.Compression.Gzip) as channel:
    feel = dating_pb2_grpc.DatingStub(channel).Eating(dating_pb2.Eat(food="steak"), timeout=10)
    check("Dating.Eating on a gzip channel", feel.feeling is True, repr(feel))

print(f"interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
