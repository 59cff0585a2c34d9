using System.Net;

namespace RawSocketChat.Transport;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> we believe (<c>--trusted-proxies</c>). Anyone can send that
/// header, so believing it from an untrusted peer would let a client pick the IP its rate limits are counted on.
/// </summary>
public sealed class ProxyList
{
    private readonly List<IPNetwork> _networks;

    private ProxyList(List<IPNetwork> networks) => _networks = networks;

    public static ProxyList Empty { get; } = new([]);

    public static ProxyList Parse(string list)
    {
        var networks = new List<IPNetwork>();
        foreach (string entry in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Contains('/'))
                networks.Add(IPNetwork.Parse(entry));
            else
            {
                IPAddress address = IPAddress.Parse(entry);
                networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
        }
        return new ProxyList(networks);
    }

    public bool IsTrusted(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (IPNetwork network in _networks)
            if (network.Contains(address)) return true;
        return false;
    }

    /// <summary>
    /// The client's address: the peer itself, or — when the peer is a trusted proxy — the right-most address in
    /// X-Forwarded-For that is not itself a trusted proxy (each proxy appends the address it received from).
    /// RFC 6455 §4.2 [6455-4.2-offload]: a server MAY run behind a reverse proxy.
    /// </summary>
    public IPAddress ResolveClient(IPAddress peer, string? forwardedFor)
    {
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        if (forwardedFor is null || !IsTrusted(peer))
            return peer;

        string[] hops = forwardedFor.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (int i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out IPAddress? hop))
                return peer; // a malformed chain is not believed at all
            if (hop.IsIPv4MappedToIPv6) hop = hop.MapToIPv4();
            if (!IsTrusted(hop))
                return hop;
        }
        return peer;
    }
}
