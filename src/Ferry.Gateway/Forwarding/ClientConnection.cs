using System.Net;

namespace Ferry.Gateway.Forwarding;

/// <summary>What the gateway knows of a client's connection: the listener it came in on, who the client is, and how.</summary>
internal sealed class ClientConnection(string listenerName, IPAddress? remoteAddress, bool isHttps)
{
    public string ListenerName { get; } = listenerName;

    /// <summary>The client's address, IPv4-mapped addresses turned back into IPv4; null when the transport has none.</summary>
    public IPAddress? RemoteAddress { get; } = remoteAddress is { IsIPv4MappedToIPv6: true } ? remoteAddress.MapToIPv4() : remoteAddress;

    public bool IsHttps { get; } = isHttps;

    // Formatted once per connection: the access log and x-forwarded-for want it for every call.
    public string RemoteAddressText { get; } = remoteAddress is null ? "-" : (remoteAddress.IsIPv4MappedToIPv6 ? remoteAddress.MapToIPv4() : remoteAddress).ToString();
}
