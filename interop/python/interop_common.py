"""Shared pieces of the grpcio interop client and server.

Debian's python3-grpcio/python3-protobuf have no matching protoc plugin, and
_pb2 modules from a newer protoc do not load on that older runtime. So the
message classes are built at run time from a FileDescriptorSet
(interop_descriptors.pb, generated from ../protos by
../protos/gen_descriptor_set.sh) and calls go through grpcio's generic APIs
(channel.unary_unary(...), method_handlers_generic_handler) with explicit
serializers.
"""

import argparse
import os

from google.protobuf import descriptor_pb2
from google.protobuf import descriptor_pool
from google.protobuf import message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
DESCRIPTOR_SET = os.path.join(HERE, "interop_descriptors.pb")
MAX_MESSAGE = 16 * 1024 * 1024

TEST_SERVICE = "grpc.testing.TestService"
UNIMPLEMENTED_SERVICE = "grpc.testing.UnimplementedService"


def _load_pool():
    with open(DESCRIPTOR_SET, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in fds.file:
        pool.Add(file_proto)
    return pool


_POOL = _load_pool()


def _message_class(full_name):
    desc = _POOL.FindMessageTypeByName(full_name)
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:  # protobuf >= 4.22
        return get_class(desc)
    return message_factory.MessageFactory(_POOL).GetPrototype(desc)


class _Messages:
    pass


messages = _Messages()
for _name in (
    "Empty",
    "BoolValue",
    "Payload",
    "EchoStatus",
    "SimpleRequest",
    "SimpleResponse",
    "StreamingInputCallRequest",
    "StreamingInputCallResponse",
    "ResponseParameters",
    "StreamingOutputCallRequest",
    "StreamingOutputCallResponse",
):
    setattr(messages, _name, _message_class("grpc.testing." + _name))

COMPRESSABLE = _POOL.FindEnumTypeByName("grpc.testing.PayloadType").values_by_name["COMPRESSABLE"].number

# method name -> (request class, response class, client streaming, server streaming)
TEST_SERVICE_METHODS = {
    "EmptyCall": (messages.Empty, messages.Empty, False, False),
    "UnaryCall": (messages.SimpleRequest, messages.SimpleResponse, False, False),
    "CacheableUnaryCall": (messages.SimpleRequest, messages.SimpleResponse, False, False),
    "StreamingOutputCall": (messages.StreamingOutputCallRequest, messages.StreamingOutputCallResponse, False, True),
    "StreamingInputCall": (messages.StreamingInputCallRequest, messages.StreamingInputCallResponse, True, False),
    "FullDuplexCall": (messages.StreamingOutputCallRequest, messages.StreamingOutputCallResponse, True, True),
    "HalfDuplexCall": (messages.StreamingOutputCallRequest, messages.StreamingOutputCallResponse, True, True),
    "UnimplementedCall": (messages.Empty, messages.Empty, False, False),
}


def _check_descriptor_matches():
    """Fail fast if the descriptor set and the method table disagree."""
    svc = _POOL.FindServiceByName(TEST_SERVICE)
    for m in svc.methods:
        req, resp, _, _ = TEST_SERVICE_METHODS[m.name]
        assert m.input_type.full_name == req.DESCRIPTOR.full_name, m.name
        assert m.output_type.full_name == resp.DESCRIPTOR.full_name, m.name


_check_descriptor_matches()


def str2bool(value):
    v = str(value).strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError("not a boolean: %r" % value)


def add_bool_flag(parser, name, help_text):
    """--name, --name=BOOL and --name BOOL all work; absent means false."""
    parser.add_argument(name, nargs="?", const=True, default=False, type=str2bool, help=help_text)


def read_file(path):
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()
