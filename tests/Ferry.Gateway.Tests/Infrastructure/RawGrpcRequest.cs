using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// A gRPC request built by hand, so each part can be wrong on purpose. Defaults are a valid gRPC request over
/// HTTP/2 (h2c prior knowledge).
/// </summary>
internal sealed record RawGrpcRequest(string Path, byte[] Body)
{
    public HttpMethod Method { get; init; } = HttpMethod.Post;

    public string? ContentType { get; init; } = "application/grpc";

    public bool TeTrailers { get; init; } = true;

    public Version Version { get; init; } = HttpVersion.Version20;

    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    public HttpRequestMessage ToMessage(Uri address)
    {
        var message = new HttpRequestMessage(Method, new Uri(address, Path))
        {
            Version = Version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (Method != HttpMethod.Get)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("content-type", ContentType);
            }
        }

        if (TeTrailers)
        {
            message.Headers.TryAddWithoutValidation("te", "trailers");
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    public static byte[] Frame(IMessage message, byte flag = 0) => Frame(message.ToByteArray(), flag);

    public static byte[] Frame(byte[] payload, byte flag = 0) => [.. Prefix(flag, (uint)payload.Length), .. payload];

    public static byte[] Prefix(byte flag, uint length)
    {
        var prefix = new byte[5];
        prefix[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), length);
        return prefix;
    }
}
