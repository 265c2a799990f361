using System.Buffers.Text;

namespace Ferry.Grpc.Protocol;

/// <summary>Turns metadata entries into HTTP/2 header values and back.</summary>
internal static class MetadataEncoding
{
    /// <summary>Binary values go out as unpadded base64, as the specification recommends.</summary>
    public static string EncodeValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    /// <summary>
    /// Decodes a received header into an entry. Binary values are accepted padded or unpadded, and an intermediary
    /// may have joined several values with commas. Returns false for a value that cannot be decoded.
    /// </summary>
    public static bool TryDecode(string key, string value, out Metadata.Entry entry)
    {
        entry = null!;
        try
        {
            if (!Metadata.Entry.IsBinaryKey(key))
            {
                entry = new Metadata.Entry(key, value);
                return true;
            }

            if (!TryDecodeBase64(value, out var bytes))
            {
                return false;
            }

            entry = new Metadata.Entry(key, bytes);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Headers the transport owns; they are never surfaced as call metadata.</summary>
    public static bool IsTransportHeader(string key) =>
        key.StartsWith(':') ||
        key is "content-type" or "te" or "host" or "content-length" or "transfer-encoding" or "connection"
            or GrpcProtocol.TimeoutHeader or GrpcProtocol.EncodingHeader or GrpcProtocol.AcceptEncodingHeader
            or GrpcProtocol.StatusHeader or GrpcProtocol.MessageHeader;

    /// <summary>
    /// Throws when user metadata names a header the transport writes itself; sending it would corrupt the call.
    /// </summary>
    public static void ValidateForSend(Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            if (GrpcProtocol.IsReservedHeader(entry.Key))
            {
                throw new ArgumentException($"Metadata key '{entry.Key}' is reserved by gRPC/HTTP2 and cannot be sent as metadata.");
            }
        }
    }

    private static bool TryDecodeBase64(string value, out byte[] bytes)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        using var output = new PooledBufferWriter();
        foreach (var part in parts)
        {
            var padded = (part.Length % 4) switch
            {
                2 => part + "==",
                3 => part + "=",
                _ => part,
            };
            var span = output.GetSpan(Base64.GetMaxDecodedFromUtf8Length(padded.Length));
            if (!Convert.TryFromBase64String(padded, span, out var written))
            {
                bytes = [];
                return false;
            }

            output.Advance(written);
        }

        bytes = output.WrittenSpan.ToArray();
        return true;
    }
}
