using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.Compression;

namespace Ferry.Grpc.Client;

/// <summary>Settings of a <see cref="GrpcChannel"/>. Every size and timeout of the client lives here.</summary>
public sealed record GrpcChannelOptions
{
    /// <summary>Largest response message accepted; larger ones fail the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; init; } = Protocol.GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest request message sent; larger ones fail the call with RESOURCE_EXHAUSTED. Default unlimited.</summary>
    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>TLS settings for an <c>https://</c> address. Null uses the system's trusted roots and no client certificate.</summary>
    public ClientTlsOptions? Tls { get; init; }

    /// <summary>How long to wait for a TCP connection (and TLS handshake). Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Send an HTTP/2 PING after this long without activity; <see cref="Timeout.InfiniteTimeSpan"/> (default) turns keepalive off.</summary>
    public TimeSpan KeepAliveTime { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Close the connection when a keepalive PING gets no answer within this time. Default 20 s.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Ping also while no call is active. Off by default: servers commonly punish idle pings (too_many_pings).</summary>
    public bool KeepAliveWithoutCalls { get; init; }

    /// <summary>Close connections idle this long. Default 5 minutes.</summary>
    public TimeSpan IdleConnectionTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Open more connections when one reaches the server's concurrent stream limit. Default true.</summary>
    public bool EnableMultipleHttp2Connections { get; init; } = true;

    /// <summary>Initial HTTP/2 stream receive window; the handler grows it dynamically from there. Default 1 MiB.</summary>
    public int InitialStreamWindowSize { get; init; } = 1024 * 1024;

    /// <summary>Encodings the client can decode (and may compress with). gzip and deflate by default.</summary>
    public IReadOnlyList<ICompressionProvider> CompressionProviders { get; init; } = [new GzipCompressionProvider(), new DeflateCompressionProvider()];

    /// <summary>
    /// Opens the transport connection instead of a TCP dial (e.g. over a tunnel). Receives the host and port of the address.
    /// </summary>
    public Func<DnsEndPoint, CancellationToken, ValueTask<Stream>>? ConnectCallback { get; init; }

    /// <summary>A handler to send requests with, replacing the one the channel would build. The channel does not dispose it.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>Clock for deadlines; replaceable in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        Require(MaxReceiveMessageSize > 0, nameof(MaxReceiveMessageSize), "must be positive");
        Require(MaxSendMessageSize > 0, nameof(MaxSendMessageSize), "must be positive");
        Require(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), "must be positive");
        Require(KeepAliveTime == Timeout.InfiniteTimeSpan || KeepAliveTime >= TimeSpan.FromSeconds(1), nameof(KeepAliveTime), "must be at least 1 s or infinite");
        Require(KeepAliveTimeout > TimeSpan.Zero, nameof(KeepAliveTimeout), "must be positive");
        Require(InitialStreamWindowSize is >= 65535 and <= 16 * 1024 * 1024, nameof(InitialStreamWindowSize), "must be between 65535 and 16 MiB");
    }

    private static void Require(bool condition, string field, string what)
    {
        if (!condition)
        {
            throw new ArgumentException($"GrpcChannelOptions.{field} {what}.", field);
        }
    }
}

/// <summary>How the client authenticates the server, and itself for mutual TLS.</summary>
public sealed record ClientTlsOptions
{
    /// <summary>CA certificates that may issue the server's certificate. Null trusts the system's roots.</summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    /// <summary>The name the server certificate must carry when it differs from the address's host.</summary>
    public string? ServerNameOverride { get; init; }

    /// <summary>The client certificate (with its private key) for mutual TLS.</summary>
    public X509Certificate2? ClientCertificate { get; init; }
}
