using System.Buffers.Text;

namespace Ferry.Grpc.Protocol;

/// <summary>Turns metadata entries into HTTP/2 header values and back.</summary>
internal static class MetadataEncoding
{
    /// <summary>Binary values go out as unpadded base64, as the specification recommends.</summary>
    public static string EncodeValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    /// <summary>
    /// Decodes a received header value into <paramref name="metadata"/>. Binary values are accepted padded or
    /// unpadded; several values joined with commas (by an intermediary, or by HttpClient, which sends a repeated header
    /// as one field) become one entry each, as grpc-go reads them. ASCII values are kept whole, since a comma may be
    /// part of the value. Returns false, adding nothing, for a value that cannot be decoded.
    /// </summary>
    public static bool TryDecode(string key, string value, Metadata metadata)
    {
        try
        {
            if (!Metadata.Entry.IsBinaryKey(key))
            {
                metadata.Add(new Metadata.Entry(key, value));
                return true;
            }

            if (!value.Contains(','))
            {
                if (!TryDecodeBase64(value, out var bytes))
                {
                    return false;
                }

                metadata.Add(new Metadata.Entry(key, bytes));
                return true;
            }

            var parts = value.Split(',', StringSplitOptions.TrimEntries);
            var decoded = new byte[parts.Length][];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!TryDecodeBase64(parts[i], out decoded[i]))
                {
                    return false;
                }
            }

            foreach (var bytes in decoded)
            {
                metadata.Add(new Metadata.Entry(key, bytes));
            }

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
        var part = value.Trim();
        var padded = (part.Length % 4) switch
        {
            2 => part + "==",
            3 => part + "=",
            _ => part,
        };
        var buffer = new byte[Base64.GetMaxDecodedFromUtf8Length(padded.Length)];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
        {
            bytes = [];
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }
}
