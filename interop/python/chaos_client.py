#!/usr/bin/env python3
"""A grpcio client that makes random TestService calls of all four kinds from many threads for a while.

Some calls are cancelled part way, some run under deadlines of a few milliseconds, some ask the server for an error
status, some carry large messages. Every outcome is checked against what that call allows (a cancelled call may end
CANCELLED, one under a deadline DEADLINE_EXCEEDED or CANCELLED). The grpcio twin of node/chaos_client.js: gRPC core
behaves differently on the wire (it resets calls it cancels before sending them, it probes bandwidth with PINGs).

    /usr/bin/python3 chaos_client.py --server_port 8080 [--seconds 15] [--threads 16] [--channels 4]

Prints one line "CHAOS {json}" (outcome counts, up to 20 unexpected outcomes, threads still running 30 s after the
end) and exits 0 only if every call ended as allowed.
"""

import argparse
import json
import queue
import random
import sys
import threading
import time

import grpc

import interop_common as ic
from interop_common import messages as m

Code = grpc.StatusCode


class Chaos:
    def __init__(self, channels):
        self._channels = channels
        self._lock = threading.Lock()
        self.counts = {}
        self.unexpected = []

    def _stub(self, name):
        request, response, client_streaming, server_streaming = ic.TEST_SERVICE_METHODS[name]
        channel = random.choice(self._channels)
        factory = {
            (False, False): channel.unary_unary,
            (False, True): channel.unary_stream,
            (True, False): channel.stream_unary,
            (True, True): channel.stream_stream,
        }[(client_streaming, server_streaming)]
        return factory("/%s/%s" % (ic.TEST_SERVICE, name),
                       request_serializer=request.SerializeToString, response_deserializer=response.FromString)

    def _settle(self, kind, code, allowed, context=""):
        with self._lock:
            if code in allowed:
                key = "%s:%s" % (kind, code.name)
            else:
                key = "%s:UNEXPECTED" % kind
                if len(self.unexpected) < 20:
                    self.unexpected.append("%s: %s %s" % (kind, code.name, context))
            self.counts[key] = self.counts.get(key, 0) + 1

    def _wrong(self, kind, what):
        with self._lock:
            self.counts["%s:UNEXPECTED" % kind] = self.counts.get("%s:UNEXPECTED" % kind, 0) + 1
            if len(self.unexpected) < 20:
                self.unexpected.append("%s: %s" % (kind, what))

    @staticmethod
    def _allowed(intended, cancelled, deadline):
        allowed = {intended}
        if cancelled:
            allowed.add(Code.CANCELLED)
        if deadline:
            allowed.update((Code.DEADLINE_EXCEEDED, Code.CANCELLED))
        return allowed

    def unary(self):
        size = random.choice([0, 1, 100, 65536, 300000, 2000000])
        request = m.SimpleRequest(response_size=size, payload=m.Payload(body=b"x" * random.choice([0, 10, 5000, 100000])))
        intended = Code.OK
        if random.random() < 0.25:
            intended = random.choice([Code.INVALID_ARGUMENT, Code.NOT_FOUND, Code.INTERNAL, Code.UNAUTHENTICATED])
            request.response_status.code = intended.value[0]
            request.response_status.message = "chaos"
        timeout = random.random() * 0.02 if random.random() < 0.25 else None
        future = self._stub("UnaryCall").future(request, timeout=timeout, metadata=[("x-grpc-test-echo-initial", "v")])
        cancelled = False
        if random.random() < 0.2:
            time.sleep(random.random() * 0.005)
            cancelled = future.cancel()
        details = ""
        try:
            reply = future.result()
            code = Code.OK
            if len(reply.payload.body) != size:
                self._wrong("unary", "reply of %d bytes, asked for %d" % (len(reply.payload.body), size))
                return
        except grpc.FutureCancelledError:
            code = Code.CANCELLED
        except grpc.RpcError as error:
            code, details = error.code(), error.details()
        self._settle("unary", code, self._allowed(intended, cancelled, timeout is not None), details)

    def server_streaming(self):
        sizes = [random.choice([0, 10, 1000, 65536, 200000]) for _ in range(random.randint(1, 20))]
        request = m.StreamingOutputCallRequest(response_parameters=[
            m.ResponseParameters(size=size, interval_us=random.choice([0, 0, 2000])) for size in sizes])
        timeout = 0.005 + random.random() * 0.03 if random.random() < 0.2 else None
        replies = self._stub("StreamingOutputCall")(request, timeout=timeout)
        cancel_after = random.randrange(len(sizes)) if random.random() < 0.33 else -1
        received, cancelled, details = 0, False, ""
        try:
            for reply in replies:
                if len(reply.payload.body) != sizes[received]:
                    self._wrong("server_streaming", "message %d of %d bytes, asked for %d" % (received, len(reply.payload.body), sizes[received]))
                if received == cancel_after:
                    cancelled = True
                    replies.cancel()
                received += 1
            code = Code.OK
        except grpc.RpcError as error:
            code, details = error.code(), error.details()
        intended = Code.OK if received == len(sizes) or cancelled else Code.UNKNOWN
        self._settle("server_streaming", code, self._allowed(intended, cancelled, timeout is not None),
                     "%d/%d messages %s" % (received, len(sizes), details))

    def client_streaming(self):
        sizes = [random.choice([0, 10, 1000, 65536, 250000]) for _ in range(random.randint(0, 14))]
        future = self._stub("StreamingInputCall").future(
            iter([m.StreamingInputCallRequest(payload=m.Payload(body=b"y" * size)) for size in sizes]))
        cancelled, details = False, ""
        if random.random() < 0.33:
            time.sleep(random.random() * 0.005)
            cancelled = future.cancel()
        try:
            reply = future.result()
            code = Code.OK
            if reply.aggregated_payload_size != sum(sizes):
                self._wrong("client_streaming", "aggregated %d, sent %d" % (reply.aggregated_payload_size, sum(sizes)))
                return
        except grpc.FutureCancelledError:
            code = Code.CANCELLED
        except grpc.RpcError as error:
            code, details = error.code(), error.details()
        self._settle("client_streaming", code, self._allowed(Code.OK, cancelled, False), details)

    def full_duplex(self):
        rounds = random.randint(1, 12)
        timeout = 0.005 + random.random() * 0.04 if random.random() < 0.17 else None
        requests = queue.Queue()
        replies = self._stub("FullDuplexCall")(iter(requests.get, None), timeout=timeout)
        cancel_at = random.randrange(rounds) if random.random() < 0.33 else -1
        received, cancelled, details = 0, False, ""
        try:
            for i in range(rounds):
                if i == cancel_at:
                    cancelled = True
                    replies.cancel()
                    break
                size = random.choice([0, 1, 500, 30000, 120000])
                requests.put(m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=size)]))
                reply = next(replies)
                received += 1
                if len(reply.payload.body) != size:
                    self._wrong("full_duplex", "reply of %d bytes, asked for %d" % (len(reply.payload.body), size))
            requests.put(None)
            for _ in replies:
                pass
            code = Code.OK
        except grpc.RpcError as error:
            code, details = error.code(), error.details()
        except StopIteration:
            code, details = Code.UNKNOWN, "the server ended the call before replying"
        requests.put(None)
        self._settle("full_duplex", code, self._allowed(Code.OK, cancelled, timeout is not None),
                     "%d/%d rounds %s" % (received, rounds, details))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--channels", type=int, default=4)
    args = parser.parse_args()

    options = [("grpc.max_receive_message_length", ic.MAX_MESSAGE), ("grpc.max_send_message_length", ic.MAX_MESSAGE),
               # Each channel its own connection, so the server sees several.
               ("grpc.use_local_subchannel_pool", 1)]
    target = "%s:%d" % (args.server_host, args.server_port)
    channels = [grpc.insecure_channel(target, options=options) for _ in range(args.channels)]
    chaos = Chaos(channels)
    kinds = [chaos.unary, chaos.unary, chaos.server_streaming, chaos.client_streaming, chaos.full_duplex]
    until = time.time() + args.seconds

    def work():
        while time.time() < until:
            random.choice(kinds)()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    # No call lasts long by design: a thread still in one 30 s after the end is hung.
    for thread in threads:
        thread.join(timeout=max(0.0, until + 30 - time.time()))
    hung = sum(thread.is_alive() for thread in threads)
    print("CHAOS " + json.dumps({"counts": chaos.counts, "unexpected": chaos.unexpected, "hung": hung}), flush=True)
    ok = hung == 0 and not chaos.unexpected and not any(key.endswith(":UNEXPECTED") for key in chaos.counts)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
