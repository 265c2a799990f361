#!/usr/bin/python3
"""gRPC interop test server (grpc.testing.TestService) on Python grpcio.

    /usr/bin/python3 interop_server.py --port 0 [--use_tls --cert PEM --key PEM [--client_ca PEM]]

Binds 127.0.0.1 only. Prints exactly one line "LISTENING <port>" on stdout
once it accepts calls; everything else goes to stderr. Exits 0 on SIGTERM or
SIGINT. UnimplementedCall is left unimplemented and UnimplementedService is
not registered, so both answer UNIMPLEMENTED.

grpcio cannot show a handler whether a request message arrived compressed
(neither the message flag nor the grpc-encoding header reaches the
application), so expect_compressed is not enforced: clients' compression
probes see OK and should report the case as skipped.
"""

import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

import interop_common as ic
from interop_common import messages as m

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"

_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _log(msg):
    sys.stderr.write("[python interop server] %s\n" % msg)
    sys.stderr.flush()


def _echo_metadata(context, extra_initial=()):
    """Echoes x-grpc-test-echo-initial into the response headers and
    x-grpc-test-echo-trailing-bin into the trailers."""
    initial = list(extra_initial)
    trailing = []
    for key, value in context.invocation_metadata():
        if key == ECHO_INITIAL:
            initial.append((key, value))
        elif key == ECHO_TRAILING:
            trailing.append((key, value))
    if initial:
        context.send_initial_metadata(tuple(initial))
    if trailing:
        context.set_trailing_metadata(tuple(trailing))


def _maybe_echo_status(request, context):
    if request.HasField("response_status") and request.response_status.code != 0:
        code = _CODES.get(request.response_status.code, grpc.StatusCode.UNKNOWN)
        context.abort(code, request.response_status.message)


def _payload(size, payload_type=ic.COMPRESSABLE):
    if size < 0:
        raise ValueError("negative size")
    return m.Payload(type=payload_type, body=b"\x00" * size)


def _sleep_us(us):
    if us > 0:
        time.sleep(us / 1e6)


def empty_call(request, context):
    _echo_metadata(context)
    return m.Empty()


def unary_call(request, context):
    _echo_metadata(context)
    if request.HasField("response_compressed") and request.response_compressed.value:
        context.set_compression(grpc.Compression.Gzip)
    _maybe_echo_status(request, context)
    if request.response_size < 0:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "negative response_size")
    return m.SimpleResponse(payload=_payload(request.response_size))


def cacheable_unary_call(request, context):
    _echo_metadata(context, extra_initial=(("cache-control", "max-age=60"),))
    return m.SimpleResponse(payload=m.Payload(type=ic.COMPRESSABLE, body=str(time.time_ns()).encode()))


def _stream_responses(request, context):
    """Yields the responses one StreamingOutputCallRequest asks for,
    honouring per-response compression and interval_us."""
    _maybe_echo_status(request, context)
    params = list(request.response_parameters)
    if any(p.HasField("compressed") and p.compressed.value for p in params):
        context.set_compression(grpc.Compression.Gzip)
        compressing = True
    else:
        compressing = False
    for p in params:
        _sleep_us(p.interval_us)
        if compressing and not (p.HasField("compressed") and p.compressed.value):
            context.disable_next_message_compression()
        yield m.StreamingOutputCallResponse(payload=_payload(p.size, request.response_type))


def streaming_output_call(request, context):
    _echo_metadata(context)
    yield from _stream_responses(request, context)


def streaming_input_call(request_iterator, context):
    _echo_metadata(context)
    total = 0
    for request in request_iterator:
        if request.HasField("payload"):
            total += len(request.payload.body)
    return m.StreamingInputCallResponse(aggregated_payload_size=total)


def full_duplex_call(request_iterator, context):
    _echo_metadata(context)
    for request in request_iterator:
        yield from _stream_responses(request, context)


def half_duplex_call(request_iterator, context):
    _echo_metadata(context)
    buffered = list(request_iterator)
    for request in buffered:
        yield from _stream_responses(request, context)


_IMPLEMENTATIONS = {
    "EmptyCall": (empty_call, grpc.unary_unary_rpc_method_handler),
    "UnaryCall": (unary_call, grpc.unary_unary_rpc_method_handler),
    "CacheableUnaryCall": (cacheable_unary_call, grpc.unary_unary_rpc_method_handler),
    "StreamingOutputCall": (streaming_output_call, grpc.unary_stream_rpc_method_handler),
    "StreamingInputCall": (streaming_input_call, grpc.stream_unary_rpc_method_handler),
    "FullDuplexCall": (full_duplex_call, grpc.stream_stream_rpc_method_handler),
    "HalfDuplexCall": (half_duplex_call, grpc.stream_stream_rpc_method_handler),
    # UnimplementedCall: deliberately absent (grpcio answers UNIMPLEMENTED).
}


def _test_service_handler():
    handlers = {}
    for name, (fn, factory) in _IMPLEMENTATIONS.items():
        req_cls, resp_cls, _, _ = ic.TEST_SERVICE_METHODS[name]
        handlers[name] = factory(
            fn, request_deserializer=req_cls.FromString, response_serializer=resp_cls.SerializeToString
        )
    return grpc.method_handlers_generic_handler(ic.TEST_SERVICE, handlers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    ic.add_bool_flag(parser, "--use_tls", "serve TLS (needs --cert and --key)")
    parser.add_argument("--cert", help="server certificate chain (PEM)")
    parser.add_argument("--key", help="server private key (PEM)")
    parser.add_argument("--client_ca", help="CA (PEM) for client certificates; when given, client certs are required")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("bad --port")

    options = [
        ("grpc.max_receive_message_length", ic.MAX_MESSAGE),
        ("grpc.max_send_message_length", ic.MAX_MESSAGE),
        ("grpc.so_reuseport", 0),
    ]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32), handlers=[_test_service_handler()], options=options
    )
    address = "127.0.0.1:%d" % args.port
    try:
        if args.use_tls:
            if not args.cert or not args.key:
                parser.error("--use_tls needs --cert and --key")
            client_ca = ic.read_file(args.client_ca)
            creds = grpc.ssl_server_credentials(
                ((ic.read_file(args.key), ic.read_file(args.cert)),),
                root_certificates=client_ca,
                require_client_auth=client_ca is not None,
            )
            port = server.add_secure_port(address, creds)
        else:
            port = server.add_insecure_port(address)
    except RuntimeError as e:
        _log("bind %s failed: %s" % (address, e))
        return 1
    if not port:
        _log("bind %s failed" % address)
        return 1

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server.start()
    sys.stdout.write("LISTENING %d\n" % port)
    sys.stdout.flush()
    while not stop.wait(3600):
        pass
    server.stop(grace=1).wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
