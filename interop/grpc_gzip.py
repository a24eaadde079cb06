"""grpcio with gzip on the channel (`compression=grpc.Compression.Gzip`, as production clients
turn it on) calls a method of every example. The messages are built at run time from the
descriptor set that protoc made of the examples' `.proto` files.

    python grpc_gzip.py DESCRIPTORS greeter=ADDR dating=ADDR student=ADDR tasks=ADDR \
        auth=ADDR chat=ADDR people=ADDR
"""

import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


with open(sys.argv[1], "rb") as file:
    descriptors = descriptor_pb2.FileDescriptorSet.FromString(file.read())
pool = descriptor_pool.DescriptorPool()
for proto in descriptors.file:
    pool.Add(proto)
addrs = dict(arg.split("=", 1) for arg in sys.argv[2:])


def method(full_name):
    service, name = full_name.rsplit("/", 1)
    found = pool.FindServiceByName(service).FindMethodByName(name)
    request = message_factory.GetMessageClass(found.input_type)
    response = message_factory.GetMessageClass(found.output_type)
    return f"/{service}/{name}", request, response


def unary(example, full_name, request_json, metadata=()):
    path, request, response = method(full_name)
    with grpc.insecure_channel(addrs[example], compression=grpc.Compression.Gzip) as channel:
        call = channel.unary_unary(
            path,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response.FromString,
        )
        reply = call(json_format.ParseDict(request_json, request()), timeout=10, metadata=metadata)
    return json_format.MessageToDict(reply)


cases = [
    ("greeter", "hello.Greeter/SayHello", {"name": "gzip"}, (), {"message": "hello gzip"}),
    ("dating", "date.Dating/Eating", {"food": "火锅"}, (), None),
    ("tasks", "tasks.Tasks/Put", {"id": 9, "name": "gzip"}, (), {"id": 9, "name": "gzip"}),
    ("tasks", "tasks.Tasks/Get", {"id": 9}, (), {"id": 9, "name": "gzip"}),
    (
        "auth",
        "auth.Profile/Me",
        {},
        (("authorization", "Bearer alice-token"),),
        {"name": "alice", "admin": True, "transport": "grpc"},
    ),
    (
        "people",
        "people.People/Person",
        {},
        (),
        {
            "name": "Rootkit",
            "age": 99,
            "sex": True,
            "hobby": ["Coding", "Badminton", "Billiards", "Reading", "Guitar"],
        },
    ),
]
for example, full_name, request, metadata, expected in cases:
    try:
        reply = unary(example, full_name, request, metadata)
        ok = expected is None or reply == expected
        check(f"{example}: {full_name} on a gzip channel", ok, repr(reply))
    except grpc.RpcError as error:
        check(f"{example}: {full_name} on a gzip channel", False, f"{error.code()}: {error.details()}")

# The student service: an added student comes back by number.
try:
    added = unary("student", "demo.StudentService/Add", {"name": "Gzip", "age": 20})
    got = unary("student", "demo.StudentService/Get", {"sno": added["sno"]})
    check(
        "student: demo.StudentService/Add and Get on a gzip channel",
        got == {"sno": added["sno"], "name": "Gzip", "age": 20},
        repr(got),
    )
except grpc.RpcError as error:
    check("student: Add and Get on a gzip channel", False, f"{error.code()}: {error.details()}")

# The chat room's bidi stream: joining is answered with the caller's JOINED event.
path, request, response = method("chat.Chat/Chat")
with grpc.insecure_channel(addrs["chat"], compression=grpc.Compression.Gzip) as channel:
    call = channel.stream_stream(
        path,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response.FromString,
    )
    try:
        events = call(iter([json_format.ParseDict({"user": "gzip"}, request())]), timeout=10)
        first = json_format.MessageToDict(next(events))
        check("chat: chat.Chat/Chat on a gzip channel", first == {"kind": "JOINED", "user": "gzip"}, repr(first))
        events.cancel()
    except grpc.RpcError as error:
        check("chat: chat.Chat/Chat on a gzip channel", False, f"{error.code()}: {error.details()}")

print(f"grpcio gzip: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
