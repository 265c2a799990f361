using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// An HTTP request built by hand, so each part of a gRPC request can be wrong on purpose. Defaults are a valid
/// gRPC request over HTTP/2 (h2c prior knowledge).
/// </summary>
internal sealed record RawRequest(string Path, byte[] Body)
{
    public string? ContentType { get; init; } = "application/grpc";

    public bool TeTrailers { get; init; } = true;

    public Version Version { get; init; } = HttpVersion.Version20;

    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    /// <summary>When set, the body is written and the request stays open until this task completes.</summary>
    public Task? HoldOpenUntil { get; init; }

    /// <summary>Completes once the whole body has been handed to the connection.</summary>
    public TaskCompletionSource BodySent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HttpRequestMessage ToMessage(Uri address)
    {
        var content = new RawContent(Body, HoldOpenUntil, BodySent);
        if (ContentType is not null)
        {
            content.Headers.TryAddWithoutValidation("content-type", ContentType);
        }

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(address, Path))
        {
            Version = Version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
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

    private sealed class RawContent(byte[] body, Task? holdOpenUntil, TaskCompletionSource bodySent) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(body, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            bodySent.TrySetResult();
            if (holdOpenUntil is not null)
            {
                await holdOpenUntil.WaitAsync(FaultHarness.Timeout, cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
