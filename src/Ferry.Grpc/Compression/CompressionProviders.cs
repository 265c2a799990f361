namespace Ferry.Grpc.Compression;

/// <summary>The encodings one side supports, looked up by name, with the matching <c>grpc-accept-encoding</c> value.</summary>
internal sealed class CompressionProviders
{
    private readonly Dictionary<string, ICompressionProvider> _byName;

    public CompressionProviders(IEnumerable<ICompressionProvider> providers)
    {
        _byName = new(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            _byName[provider.EncodingName] = provider;
        }

        AcceptEncoding = string.Join(",", new[] { Protocol.GrpcProtocol.IdentityEncoding }.Concat(_byName.Keys));
    }

    public static CompressionProviders Default { get; } = new([new GzipCompressionProvider(), new DeflateCompressionProvider()]);

    public string AcceptEncoding { get; }

    public bool TryGet(string name, out ICompressionProvider provider) => _byName.TryGetValue(name, out provider!);
}
