"""Uploads and downloads a file through stubs generated from the greeter's `--print-proto` alone.

That file declares protoapi's `File` and `FileChunk` as `hello.File` and `hello.FileChunk`; the
server knows them as `protoapi.File` and `protoapi.FileChunk`. The bytes on the wire are the
same, which this shows. Run in the directory of the generated `greeter_pb2`:

    python one_file_client.py GREETER_ADDR
"""

import sys

import grpc

import greeter_pb2
import greeter_pb2_grpc

addr = sys.argv[1]
content = "一个文件\n".encode() * 8000  # 104 000 bytes: two download chunks of 64 KiB at most
expected = f"received one-file.txt ({len(content)} bytes)"

with grpc.insecure_channel(addr) as channel:
    greeter = greeter_pb2_grpc.GreeterStub(channel)
    upload = greeter_pb2.UploadReq(
        test_file=greeter_pb2.File(name="one-file.txt", content_type="text/plain", data=content)
    )
    status = greeter.Upload(upload, timeout=10).status
    assert status == expected, repr(status)
    print(f"ok: Upload(hello.File): {status}")

    chunks = list(greeter.Download(greeter_pb2.DownloadReq(name="one-file.txt"), timeout=10))
    assert [type(c) for c in chunks] == [greeter_pb2.FileChunk] * 2, chunks
    first = chunks[0]
    assert (first.name, first.content_type, first.size) == (
        "one-file.txt",
        "application/octet-stream",
        len(content),
    ), (first.name, first.content_type, first.size)
    assert b"".join(c.data for c in chunks) == content
    print(f"ok: Download: 2 hello.FileChunk, {len(content)} bytes")

    def pieces():
        yield greeter_pb2.UploadChunk(
            file=greeter_pb2.FileChunk(name="one-file.txt", size=len(content), data=content[:50000])
        )
        yield greeter_pb2.UploadChunk(file=greeter_pb2.FileChunk(data=content[50000:]))

    status = greeter.UploadChunks(pieces(), timeout=10).status
    assert status == expected, repr(status)
    print(f"ok: UploadChunks(hello.FileChunk pieces): {status}")
