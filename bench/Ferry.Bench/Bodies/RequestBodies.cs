using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Bench.Bodies;

/// <summary>
/// Request bodies for <c>h2load -d</c>, gRPC-framed (flag byte, big-endian length, message), and the number of
/// response DATA bytes each should bring back, so the scripts can check h2load's byte counts.
/// </summary>
internal static class RequestBodies
{
    public static void Write(string directory, int payloadSize, int messageSize, long streamBytes, long bidiBytes)
    {
        Directory.CreateDirectory(directory);

        // UnaryCall: 100 bytes up, 100 bytes asked for.
        var unary = new SimpleRequest { ResponseSize = payloadSize, Payload = Zeros(payloadSize) };
        var unaryResponse = new SimpleResponse { Payload = Zeros(payloadSize) };
        WriteFramed(Path.Combine(directory, "unary.bin"), [unary]);

        // StreamingOutputCall: one request asking for streamBytes as messageSize messages.
        var streamCount = checked((int)(streamBytes / messageSize));
        var stream = new StreamingOutputCallRequest();
        for (var i = 0; i < streamCount; i++)
        {
            stream.ResponseParameters.Add(new ResponseParameters { Size = messageSize });
        }

        WriteFramed(Path.Combine(directory, "stream.bin"), [stream]);

        // FullDuplexCall: bidiBytes sent as messageSize messages, each asking for one message of the same size.
        var bidiCount = checked((int)(bidiBytes / messageSize));
        var bidi = new StreamingOutputCallRequest { Payload = Zeros(messageSize), ResponseParameters = { new ResponseParameters { Size = messageSize } } };
        WriteFramed(Path.Combine(directory, "bidi.bin"), Enumerable.Repeat<IMessage>(bidi, bidiCount));

        var bulkResponse = 5L + new StreamingOutputCallResponse { Payload = Zeros(messageSize) }.CalculateSize();
        File.WriteAllLines(Path.Combine(directory, "expect.env"),
        [
            $"UNARY_RESPONSE_BYTES={5 + unaryResponse.CalculateSize()}",
            $"STREAM_RESPONSE_BYTES={streamCount * bulkResponse}",
            $"STREAM_PAYLOAD_BYTES={(long)streamCount * messageSize}",
            $"BIDI_RESPONSE_BYTES={bidiCount * bulkResponse}",
            $"BIDI_PAYLOAD_BYTES={(long)bidiCount * messageSize}",
        ]);
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };

    private static void WriteFramed(string path, IEnumerable<IMessage> messages)
    {
        using var file = File.Create(path);
        Span<byte> prefix = stackalloc byte[5];
        foreach (var message in messages)
        {
            var bytes = message.ToByteArray();
            prefix[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)bytes.Length);
            file.Write(prefix);
            file.Write(bytes);
        }
    }
}
