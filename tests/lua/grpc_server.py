#!/usr/bin/python3
"""A real gRPC server (Debian's python3-grpcio) for the gRPC examples.

Serves gRPC's classic greeter, helloworld.Greeter/SayHello, on an h2c port
and a TLS port:

    message HelloRequest { string name = 1; }
    message HelloReply   { string message = 1; }

No .proto file is compiled: the method is registered with a generic handler
and raw-bytes (de)serializers, and the messages are parsed and built with
python3-protobuf's classes made at run time from a hand-written descriptor.
The real protobuf library thus checks the bytes the Lua example encodes by
hand, instead of a second hand-written decoder agreeing with the first.

Behaviour the tests rely on:
  name "..."            OK, message "Hello " + name (any size up to 4 MiB)
  name ""               INVALID_ARGUMENT, "name must not be empty (100% of
                        requests need one)": the '%' is percent-encoded on
                        the wire, so the client must decode grpc-message
  any other method      UNIMPLEMENTED (grpc's own answer)

Prints "ready" on stdout once both ports listen.

    grpc_server.py --h2c PORT --tls PORT --cert PEM --key PEM
"""

import argparse
import sys
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

EMPTY_NAME_MESSAGE = "name must not be empty (100% of requests need one)"


def greeter_messages():
    """HelloRequest and HelloReply classes built from a descriptor."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="libh2_test_helloworld.proto", package="helloworld", syntax="proto3")
    for message_name, field_name in (("HelloRequest", "name"), ("HelloReply", "message")):
        message = proto.message_type.add(name=message_name)
        message.field.add(name=field_name, number=1,
                          type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                          label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    factory = message_factory.MessageFactory(pool)
    return tuple(factory.GetPrototype(pool.FindMessageTypeByName("helloworld." + name))
                 for name in ("HelloRequest", "HelloReply"))


HelloRequest, HelloReply = greeter_messages()


def say_hello(request_bytes, context):
    request = HelloRequest.FromString(request_bytes)
    if request.name == "":
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, EMPTY_NAME_MESSAGE)
    return HelloReply(message="Hello " + request.name).SerializeToString()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--h2c", type=int, required=True)
    parser.add_argument("--tls", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()

    # Identity (de)serializers: the handler sees and returns raw bytes.
    handler = grpc.method_handlers_generic_handler("helloworld.Greeter", {
        "SayHello": grpc.unary_unary_rpc_method_handler(
            say_hello, request_deserializer=None, response_serializer=None),
    })
    # gRPC binds with SO_REUSEPORT by default, which would let this server
    # share a port with a stale one and answer only some connections; a
    # busy port must fail the start instead.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         handlers=[handler], options=[("grpc.so_reuseport", 0)])
    with open(args.key, "rb") as f:
        key = f.read()
    with open(args.cert, "rb") as f:
        cert = f.read()
    credentials = grpc.ssl_server_credentials([(key, cert)])
    # A port that cannot be bound (add_*_port raises, or returns 0 in older
    # versions) must end the process: run.sh counts that as a failure.
    if server.add_insecure_port(f"127.0.0.1:{args.h2c}") == 0:
        sys.exit(f"grpc_server: cannot listen on 127.0.0.1:{args.h2c}")
    if server.add_secure_port(f"127.0.0.1:{args.tls}", credentials) == 0:
        sys.exit(f"grpc_server: cannot listen on 127.0.0.1:{args.tls}")
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
