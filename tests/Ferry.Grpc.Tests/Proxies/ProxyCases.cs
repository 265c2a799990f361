using Ferry.Grpc.Tests.Interop;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>The interop runs through a proxy: every proxy, plaintext and TLS, every case (and every peer client).</summary>
public static class ProxyCases
{
    private static readonly TransportSecurity[] s_securities = [TransportSecurity.Plaintext, TransportSecurity.Tls];

    /// <summary>Ferry's client: proxy, security, case.</summary>
    public static TheoryData<ProxyKind, TransportSecurity, string> FerryClient
    {
        get
        {
            var data = new TheoryData<ProxyKind, TransportSecurity, string>();
            foreach (var (kind, security) in Pairs())
            {
                foreach (var testCase in InteropClient.AllCases)
                {
                    data.Add(kind, security, testCase);
                }
            }

            return data;
        }
    }

    /// <summary>The peer clients: peer, proxy, security, case.</summary>
    public static TheoryData<Peer, ProxyKind, TransportSecurity, string> PeerClients
    {
        get
        {
            var data = new TheoryData<Peer, ProxyKind, TransportSecurity, string>();
            foreach (var peer in Enum.GetValues<Peer>())
            {
                foreach (var (kind, security) in Pairs())
                {
                    foreach (var testCase in InteropClient.AllCases)
                    {
                        data.Add(peer, kind, security, testCase);
                    }
                }
            }

            return data;
        }
    }

    private static IEnumerable<(ProxyKind, TransportSecurity)> Pairs() =>
        Enum.GetValues<ProxyKind>().SelectMany(kind => s_securities.Select(security => (kind, security)));
}
