namespace Ferry.Grpc;

/// <summary>What a server handler knows about the call it is serving.</summary>
public abstract class ServerCallContext
{
    /// <summary>The full method name, <c>/package.Service/Method</c>.</summary>
    public abstract string Method { get; }

    /// <summary>The authority the client called (<c>:authority</c>).</summary>
    public abstract string Host { get; }

    /// <summary>The client's address, e.g. <c>ipv4:127.0.0.1:5000</c>.</summary>
    public abstract string Peer { get; }

    /// <summary>The call's deadline (UTC), <see cref="DateTime.MaxValue"/> when the client set none.</summary>
    public abstract DateTime Deadline { get; }

    public abstract Metadata RequestHeaders { get; }

    /// <summary>Cancelled when the client cancels, disconnects or the deadline passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Trailers sent with the status when the call ends.</summary>
    public abstract Metadata ResponseTrailers { get; }

    /// <summary>The status sent when the handler returns normally; OK unless set.</summary>
    public abstract Status Status { get; set; }

    /// <summary>The compression applied to response messages (e.g. <c>gzip</c>), or null for none.</summary>
    public abstract string? ResponseCompression { get; set; }

    /// <summary>Options for response messages written from now on (e.g. to send some uncompressed).</summary>
    public abstract WriteOptions? WriteOptions { get; set; }

    /// <summary>The client certificate of a mutual-TLS connection, or null.</summary>
    public abstract System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; }

    /// <summary>Sends response headers now. Allowed once, before the first response message.</summary>
    public abstract Task WriteResponseHeadersAsync(Metadata responseHeaders);

    /// <summary>The host's own per-call object (the ASP.NET Core HttpContext when hosted by Kestrel).</summary>
    public abstract object? HostContext { get; }
}
