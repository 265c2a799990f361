#!/usr/bin/python3
"""gRPC interop test client (grpc.testing.TestService) on Python grpcio.

    /usr/bin/python3 interop_client.py --server_host 127.0.0.1 --server_port N
        [--test_case all|NAME[,NAME...]] [--use_tls [--ca_file PEM]
        [--server_host_override NAME] [--client_cert PEM --client_key PEM]]

Prints "PASS name", "FAIL name: reason" or "SKIP name: reason" per case and
then "N passed, M failed" (", K skipped" appended when K > 0). Exits 1 if any
case failed, 2 on bad flags.
"""

import argparse
import queue
import sys
import threading

import grpc

import interop_common as ic
from interop_common import messages as m

CALL_TIMEOUT = 30.0  # seconds, for every call that is not meant to time out

ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
ECHO_METADATA = (
    ("x-grpc-test-echo-initial", ECHO_INITIAL_VALUE),
    ("x-grpc-test-echo-trailing-bin", ECHO_TRAILING_VALUE),
)
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_zeros(payload, size, what):
    body = payload.body
    check(len(body) == size, "%s: payload size %d, want %d" % (what, len(body), size))
    check(body == b"\x00" * size, "%s: payload is not all zeros" % what)


def check_code(call, code, what):
    got = call.code()
    check(got == code, "%s: status %s (%r), want %s" % (what, got, call.details(), code))


class Stubs:
    """Multi-callables for every method, built on grpcio's generic channel API."""

    def __init__(self, channel):
        self.channel = channel
        for name, (req, resp, client_streaming, server_streaming) in ic.TEST_SERVICE_METHODS.items():
            if client_streaming and server_streaming:
                factory = channel.stream_stream
            elif client_streaming:
                factory = channel.stream_unary
            elif server_streaming:
                factory = channel.unary_stream
            else:
                factory = channel.unary_unary
            setattr(
                self,
                name,
                factory(
                    "/%s/%s" % (ic.TEST_SERVICE, name),
                    request_serializer=req.SerializeToString,
                    response_deserializer=resp.FromString,
                ),
            )
        self.UnimplementedServiceCall = channel.unary_unary(
            "/%s/UnimplementedCall" % ic.UNIMPLEMENTED_SERVICE,
            request_serializer=m.Empty.SerializeToString,
            response_deserializer=m.Empty.FromString,
        )


class RequestQueue:
    """Request iterator fed from the test thread (for ping-pong style calls)."""

    _END = object()

    def __init__(self):
        self._q = queue.Queue()

    def put(self, request):
        self._q.put(request)

    def close(self):
        self._q.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._q.get()
        if item is self._END:
            raise StopIteration
        return item


def unary(multi_callable, request, **kwargs):
    """Returns (response or None, call); never raises RpcError."""
    kwargs.setdefault("timeout", CALL_TIMEOUT)
    try:
        response, call = multi_callable.with_call(request, **kwargs)
        return response, call
    except grpc.RpcError as e:
        return None, e


def large_unary_request(**extra):
    return m.SimpleRequest(
        response_type=ic.COMPRESSABLE,
        response_size=314159,
        payload=m.Payload(body=b"\x00" * 271828),
        **extra
    )


def streaming_request(sizes=(), body_size=None, **extra):
    req = m.StreamingOutputCallRequest(response_type=ic.COMPRESSABLE, **extra)
    for size in sizes:
        req.response_parameters.add(size=size)
    if body_size is not None:
        req.payload.body = b"\x00" * body_size
    return req


def check_echoed_metadata(initial, trailing, what):
    iv = [v for k, v in initial if k == "x-grpc-test-echo-initial"]
    check(iv == [ECHO_INITIAL_VALUE], "%s: initial metadata x-grpc-test-echo-initial = %r" % (what, iv))
    tv = [v for k, v in trailing if k == "x-grpc-test-echo-trailing-bin"]
    check(tv == [ECHO_TRAILING_VALUE], "%s: trailing metadata x-grpc-test-echo-trailing-bin = %r" % (what, tv))


# ---------------------------------------------------------------------------
# Test cases


def empty_unary(stubs):
    resp, call = unary(stubs.EmptyCall, m.Empty())
    check_code(call, grpc.StatusCode.OK, "EmptyCall")
    check(resp is not None, "EmptyCall: no response")


def large_unary(stubs):
    resp, call = unary(stubs.UnaryCall, large_unary_request())
    check_code(call, grpc.StatusCode.OK, "UnaryCall")
    check_zeros(resp.payload, 314159, "UnaryCall")


def client_streaming(stubs):
    reqs = [m.StreamingInputCallRequest(payload=m.Payload(body=b"\x00" * n)) for n in (27182, 8, 1828, 45904)]
    resp, call = unary(stubs.StreamingInputCall, iter(reqs))
    check_code(call, grpc.StatusCode.OK, "StreamingInputCall")
    check(resp.aggregated_payload_size == 74922, "aggregated_payload_size %d, want 74922" % resp.aggregated_payload_size)


def server_streaming(stubs):
    sizes = (31415, 9, 2653, 58979)
    call = stubs.StreamingOutputCall(streaming_request(sizes), timeout=CALL_TIMEOUT)
    responses = list(call)
    check_code(call, grpc.StatusCode.OK, "StreamingOutputCall")
    check(len(responses) == len(sizes), "got %d responses, want %d" % (len(responses), len(sizes)))
    for i, (resp, size) in enumerate(zip(responses, sizes)):
        check_zeros(resp.payload, size, "response %d" % i)


def ping_pong(stubs):
    sizes = (31415, 9, 2653, 58979)
    bodies = (27182, 8, 1828, 45904)
    requests = RequestQueue()
    call = stubs.FullDuplexCall(requests, timeout=CALL_TIMEOUT)
    try:
        for i, (size, body) in enumerate(zip(sizes, bodies)):
            requests.put(streaming_request((size,), body))
            try:
                resp = next(call)
            except StopIteration:
                raise Failure("stream ended before response %d" % i)
            check_zeros(resp.payload, size, "response %d" % i)
    finally:
        requests.close()
    rest = list(call)
    check(not rest, "got %d extra responses" % len(rest))
    check_code(call, grpc.StatusCode.OK, "FullDuplexCall")


def empty_stream(stubs):
    call = stubs.FullDuplexCall(iter(()), timeout=CALL_TIMEOUT)
    responses = list(call)
    check_code(call, grpc.StatusCode.OK, "FullDuplexCall")
    check(not responses, "got %d responses, want 0" % len(responses))


def custom_metadata(stubs):
    resp, call = unary(stubs.UnaryCall, large_unary_request(), metadata=ECHO_METADATA)
    check_code(call, grpc.StatusCode.OK, "UnaryCall")
    check_zeros(resp.payload, 314159, "UnaryCall")
    check_echoed_metadata(call.initial_metadata(), call.trailing_metadata(), "UnaryCall")

    call = stubs.FullDuplexCall(
        iter([streaming_request((314159,), 271828)]), metadata=ECHO_METADATA, timeout=CALL_TIMEOUT
    )
    responses = list(call)
    check_code(call, grpc.StatusCode.OK, "FullDuplexCall")
    check(len(responses) == 1, "FullDuplexCall: got %d responses, want 1" % len(responses))
    check_zeros(responses[0].payload, 314159, "FullDuplexCall")
    check_echoed_metadata(call.initial_metadata(), call.trailing_metadata(), "FullDuplexCall")


def _response_status(code, message):
    return m.EchoStatus(code=code, message=message)


def status_code_and_message(stubs):
    msg = "test status message"
    _, call = unary(stubs.UnaryCall, m.SimpleRequest(response_status=_response_status(2, msg)))
    check_code(call, grpc.StatusCode.UNKNOWN, "UnaryCall")
    check(call.details() == msg, "UnaryCall: message %r, want %r" % (call.details(), msg))

    call = stubs.FullDuplexCall(
        iter([m.StreamingOutputCallRequest(response_status=_response_status(2, msg))]), timeout=CALL_TIMEOUT
    )
    try:
        list(call)
    except grpc.RpcError:
        pass
    check_code(call, grpc.StatusCode.UNKNOWN, "FullDuplexCall")
    check(call.details() == msg, "FullDuplexCall: message %r, want %r" % (call.details(), msg))


def special_status_message(stubs):
    _, call = unary(stubs.UnaryCall, m.SimpleRequest(response_status=_response_status(2, SPECIAL_MESSAGE)))
    check_code(call, grpc.StatusCode.UNKNOWN, "UnaryCall")
    check(call.details() == SPECIAL_MESSAGE, "message %r, want %r" % (call.details(), SPECIAL_MESSAGE))


def unimplemented_method(stubs):
    _, call = unary(stubs.UnimplementedCall, m.Empty())
    check_code(call, grpc.StatusCode.UNIMPLEMENTED, "TestService/UnimplementedCall")


def unimplemented_service(stubs):
    _, call = unary(stubs.UnimplementedServiceCall, m.Empty())
    check_code(call, grpc.StatusCode.UNIMPLEMENTED, "UnimplementedService/UnimplementedCall")


def cancel_after_begin(stubs):
    requests = RequestQueue()
    future = stubs.StreamingInputCall.future(requests, timeout=CALL_TIMEOUT)
    try:
        future.cancel()
        check(future.cancelled(), "future not cancelled")
        check_code(future, grpc.StatusCode.CANCELLED, "StreamingInputCall")
    finally:
        requests.close()


def cancel_after_first_response(stubs):
    requests = RequestQueue()
    call = stubs.FullDuplexCall(requests, timeout=CALL_TIMEOUT)
    try:
        requests.put(streaming_request((31415,), 27182))
        try:
            resp = next(call)
        except StopIteration:
            raise Failure("stream ended before the first response")
        check_zeros(resp.payload, 31415, "first response")
        call.cancel()
        try:
            list(call)
        except grpc.RpcError:
            pass
        check_code(call, grpc.StatusCode.CANCELLED, "FullDuplexCall")
    finally:
        requests.close()


def timeout_on_sleeping_server(stubs):
    requests = RequestQueue()
    call = stubs.FullDuplexCall(requests, timeout=0.001)
    try:
        requests.put(streaming_request((), 27182))
        try:
            list(call)
        except grpc.RpcError:
            pass
        check_code(call, grpc.StatusCode.DEADLINE_EXCEEDED, "FullDuplexCall")
    finally:
        requests.close()


def client_compressed_unary(stubs):
    _, probe = unary(stubs.UnaryCall, large_unary_request(expect_compressed=m.BoolValue(value=True)))
    server_checks = probe.code() != grpc.StatusCode.OK
    if server_checks:
        check_code(probe, grpc.StatusCode.INVALID_ARGUMENT, "probe (uncompressed, expect_compressed=true)")

    resp, call = unary(
        stubs.UnaryCall,
        large_unary_request(expect_compressed=m.BoolValue(value=True)),
        compression=grpc.Compression.Gzip,
    )
    check_code(call, grpc.StatusCode.OK, "compressed call")
    check_zeros(resp.payload, 314159, "compressed call")

    resp, call = unary(stubs.UnaryCall, large_unary_request(expect_compressed=m.BoolValue(value=False)))
    check_code(call, grpc.StatusCode.OK, "uncompressed call")
    check_zeros(resp.payload, 314159, "uncompressed call")
    if not server_checks:
        raise Skip(
            "server does not check request compression (probe with expect_compressed=true on an "
            "uncompressed request succeeded); compressed and uncompressed calls otherwise OK"
        )


def server_compressed_unary(stubs):
    for want in (True, False):
        resp, call = unary(stubs.UnaryCall, large_unary_request(response_compressed=m.BoolValue(value=want)))
        if want and call.code() == grpc.StatusCode.UNIMPLEMENTED:
            raise Skip("server cannot compress responses: %s" % call.details())
        check_code(call, grpc.StatusCode.OK, "response_compressed=%s" % want)
        check_zeros(resp.payload, 314159, "response_compressed=%s" % want)
    raise Skip("grpcio does not expose the compressed flag of received messages; payloads verified OK")


def client_compressed_streaming(stubs):
    raise Skip(
        "grpcio clients cannot choose compression per message (no write-flags API), "
        "so a compressed-then-uncompressed request stream cannot be sent"
    )


def server_compressed_streaming(stubs):
    req = m.StreamingOutputCallRequest(response_type=ic.COMPRESSABLE)
    req.response_parameters.add(size=31415, compressed=m.BoolValue(value=True))
    req.response_parameters.add(size=92653, compressed=m.BoolValue(value=False))
    call = stubs.StreamingOutputCall(req, timeout=CALL_TIMEOUT)
    try:
        responses = list(call)
    except grpc.RpcError:
        responses = None
    if call.code() == grpc.StatusCode.UNIMPLEMENTED:
        raise Skip("server cannot compress responses: %s" % call.details())
    check_code(call, grpc.StatusCode.OK, "StreamingOutputCall")
    check(len(responses) == 2, "got %d responses, want 2" % len(responses))
    check_zeros(responses[0].payload, 31415, "response 0")
    check_zeros(responses[1].payload, 92653, "response 1")
    raise Skip("grpcio does not expose the compressed flag of received messages; payloads verified OK")


CASES = [
    empty_unary,
    large_unary,
    client_streaming,
    server_streaming,
    ping_pong,
    empty_stream,
    custom_metadata,
    status_code_and_message,
    special_status_message,
    unimplemented_method,
    unimplemented_service,
    cancel_after_begin,
    cancel_after_first_response,
    timeout_on_sleeping_server,
    client_compressed_unary,
    server_compressed_unary,
    client_compressed_streaming,
    server_compressed_streaming,
]
CASES_BY_NAME = {fn.__name__: fn for fn in CASES}


def _run_case(fn, stubs, timeout):
    """Runs a case on a worker thread so a wedged call cannot hang the run."""
    result = {}

    def target():
        try:
            fn(stubs)
            result["outcome"] = ("PASS", None)
        except Skip as e:
            result["outcome"] = ("SKIP", str(e))
        except Failure as e:
            result["outcome"] = ("FAIL", str(e))
        except grpc.RpcError as e:
            result["outcome"] = ("FAIL", "unexpected RPC error %s: %r" % (e.code(), e.details()))
        except Exception as e:  # a bug in the case or an unexpected response
            result["outcome"] = ("FAIL", "%s: %s" % (type(e).__name__, e))

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    return result.get("outcome", ("FAIL", "timed out after %.0f s" % timeout))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--test_case", default="all", help="all, or a comma-separated list of case names")
    ic.add_bool_flag(parser, "--use_tls", "connect with TLS")
    ic.add_bool_flag(parser, "--use_test_ca", "accepted for compatibility; use --ca_file")
    parser.add_argument("--ca_file", help="root CA (PEM) to trust instead of the system roots")
    parser.add_argument("--server_host_override", help="TLS name to verify and :authority to send")
    parser.add_argument("--client_cert", help="client certificate chain (PEM), for mutual TLS")
    parser.add_argument("--client_key", help="client private key (PEM), for mutual TLS")
    args = parser.parse_args(argv)

    if args.test_case == "all":
        cases = CASES
    else:
        names = [n.strip() for n in args.test_case.split(",") if n.strip()]
        unknown = [n for n in names if n not in CASES_BY_NAME]
        if unknown or not names:
            parser.error("unknown test case(s): %s; known: %s" % (", ".join(unknown), ", ".join(CASES_BY_NAME)))
        cases = [CASES_BY_NAME[n] for n in names]
    if bool(args.client_cert) != bool(args.client_key):
        parser.error("--client_cert and --client_key go together")

    host = args.server_host
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    target = "%s:%d" % (host, args.server_port)
    options = [
        ("grpc.max_receive_message_length", ic.MAX_MESSAGE),
        ("grpc.max_send_message_length", ic.MAX_MESSAGE),
    ]
    if args.server_host_override:
        options.append(("grpc.default_authority", args.server_host_override))
    if args.use_tls:
        if args.server_host_override:
            options.append(("grpc.ssl_target_name_override", args.server_host_override))
        creds = grpc.ssl_channel_credentials(
            root_certificates=ic.read_file(args.ca_file),
            private_key=ic.read_file(args.client_key),
            certificate_chain=ic.read_file(args.client_cert),
        )
        channel = grpc.secure_channel(target, creds, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)

    stubs = Stubs(channel)
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for fn in cases:
        outcome, reason = _run_case(fn, stubs, CALL_TIMEOUT + 10)
        counts[outcome] += 1
        name = fn.__name__
        if reason is None:
            print("%s %s" % (outcome, name), flush=True)
        else:
            print("%s %s: %s" % (outcome, name, " ".join(reason.split())), flush=True)
    summary = "%d passed, %d failed" % (counts["PASS"], counts["FAIL"])
    if counts["SKIP"]:
        summary += ", %d skipped" % counts["SKIP"]
    print(summary, flush=True)
    channel.close()
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
