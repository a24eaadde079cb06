"""The gRPC server a protoapi user would otherwise write in Python: grpcio's thread-pool server.

It serves protoapi's benchmark API (bench/src/bin/protoapi_server.rs) for bench/run.sh:
`bench.Bench/Echo` and the server stream `bench.Bench/Ticks`; the other rpcs answer UNIMPLEMENTED.
The stubs are generated at start, with grpc_tools.protoc, from the .proto files protoapi writes:

    target/debug/protoapi_server --proto-out DIR
    bench/.venv/bin/python bench/python/grpc_server.py --port 9301 --proto-dir DIR

16 workers, as many as the load client's connections (bench_client's default): a Ticks stream
holds its thread for its whole length, and a stream beyond max_workers waits in the pool's queue
until one ends. Under the GIL fewer threads run faster on one core (4 workers streamed ~40% more
ticks per second here, unary calls the same), but only by keeping 12 of the 16 clients waiting.
"""

import argparse
import importlib.resources
import sys
import tempfile
from concurrent import futures

import grpc
from grpc_tools import protoc


def generate(proto_dir, out_dir):
    """Writes bench_pb2.py and bench_pb2_grpc.py (and protoapi/types_pb2.py) into out_dir."""
    include = importlib.resources.files("grpc_tools") / "_proto"
    args = ["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", "bench.proto", "protoapi/types.proto"]
    if protoc.main(args) != 0:
        sys.exit(f"protoc failed on the files in {proto_dir}")
    sys.path.insert(0, out_dir)
    return importlib.import_module("bench_pb2"), importlib.import_module("bench_pb2_grpc")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--proto-dir", required=True, help="holds bench.proto and protoapi/types.proto")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out_dir:  # imported modules no longer need their files
        pb2, pb2_grpc = generate(args.proto_dir, out_dir)

    class Bench(pb2_grpc.BenchServicer):
        def Echo(self, request, context):
            return pb2.EchoReply(id=request.id, message=f"hello {request.name}",
                                 tags=request.tags, payload=request.payload)

        def Ticks(self, request, context):
            for seq in range(request.count):
                yield pb2.Tick(seq=seq, text="tick")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    pb2_grpc.add_BenchServicer_to_server(Bench(), server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    print(f"listening on {port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
