"""Calls the greeter and dating examples through stubs generated from their printed .proto."""

import sys

import grpc

import dating_pb2
import dating_pb2_grpc
import greeter_pb2
import greeter_pb2_grpc

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

print(f"interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
