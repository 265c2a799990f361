namespace Ferry.Grpc.Tests.Interop;

/// <summary>How a peer and Ferry talk.</summary>
public enum TransportSecurity
{
    Plaintext,

    /// <summary>TLS; the client trusts the development CA that issued the server certificate.</summary>
    Tls,

    /// <summary>TLS where the server also requires a client certificate issued by the development CA.</summary>
    MutualTls,
}
