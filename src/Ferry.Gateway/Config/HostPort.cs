using System.Globalization;
using System.Net;

namespace Ferry.Gateway.Config;

/// <summary>
/// <c>host:port</c> text as the configuration writes addresses: an IPv6 host in brackets (<c>[::1]:8080</c>), the port
/// in decimal. Shared by the reader (endpoint shorthand) and the validator so both agree on what is an address.
/// </summary>
internal static class HostPort
{
    /// <summary>Splits <paramref name="text"/>; the host is returned without brackets. Checks syntax only.</summary>
    public static bool TrySplit(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return false;
            }

            host = text[1..close];
            colon = close + 1;
            if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }
        }
        else
        {
            colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':') != colon)
            {
                return false; // no port, or an IPv6 address without brackets
            }

            host = text[..colon];
        }

        var portText = text.AsSpan(colon + 1);
        return portText.Length is > 0 and <= 5
            && int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port <= 65535;
    }

    /// <summary>A backend address: a DNS name or IP address and a port 1..65535.</summary>
    public static bool IsEndpoint(string text) =>
        TrySplit(text, out var host, out var port)
        && port >= 1
        && (IPAddress.TryParse(host, out _) || IsHostName(host));

    /// <summary>
    /// Dot-separated labels of letters, digits, '-' and '_' (container and service names use '_'), none empty,
    /// none starting or ending with '-'; at most 253 characters.
    /// </summary>
    public static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in host.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A listening address: an IP address (no host names) and a port 0..65535 (0: any free port).</summary>
    public static bool TryParseListen(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (!TrySplit(text, out var host, out var port) || !IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
