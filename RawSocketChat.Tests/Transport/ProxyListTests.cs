using System.Net;
using RawSocketChat.Transport;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// X-Forwarded-For is a list a client can start with anything it likes; each proxy appends the address it received
/// the request from. Only the hops added by proxies we trust are evidence.
/// </summary>
public class ProxyListTests
{
    private static IPAddress Ip(string text) => IPAddress.Parse(text);

    [Fact]
    [Trait("Rfc", "6455-4.2-offload")]
    public void Untrusted_peer_is_the_client_even_when_it_sends_X_Forwarded_For()
    {
        var proxies = ProxyList.Parse("10.0.0.1");

        Assert.Equal(Ip("203.0.113.9"), proxies.ResolveClient(Ip("203.0.113.9"), "198.51.100.1"));
        Assert.Equal(Ip("203.0.113.9"), ProxyList.Empty.ResolveClient(Ip("203.0.113.9"), "198.51.100.1"));
    }

    [Fact]
    public void Trusted_peer_without_X_Forwarded_For_is_the_client() =>
        Assert.Equal(Ip("10.0.0.1"), ProxyList.Parse("10.0.0.1").ResolveClient(Ip("10.0.0.1"), null));

    [Fact]
    public void Trusted_peer_hands_over_to_the_last_hop_it_appended() =>
        Assert.Equal(Ip("198.51.100.7"), ProxyList.Parse("10.0.0.1").ResolveClient(Ip("10.0.0.1"), "198.51.100.7"));

    [Fact]
    [Trait("Rfc", "6455-4.2-offload")]
    public void Client_is_the_rightmost_hop_that_is_not_a_trusted_proxy()
    {
        // client-supplied spoof, real client, then a second proxy of ours that appended the address it saw.
        var proxies = ProxyList.Parse("10.0.0.1, 10.0.0.2");

        IPAddress client = proxies.ResolveClient(Ip("10.0.0.1"), "1.2.3.4, 198.51.100.7, 10.0.0.2");

        Assert.Equal(Ip("198.51.100.7"), client);
    }

    [Fact]
    public void Cidr_ranges_are_trusted_as_a_whole()
    {
        var proxies = ProxyList.Parse("10.0.0.0/8, fd00::/8");

        Assert.True(proxies.IsTrusted(Ip("10.200.3.4")));
        Assert.False(proxies.IsTrusted(Ip("11.0.0.1")));
        Assert.True(proxies.IsTrusted(Ip("fd12::1")));
        Assert.False(proxies.IsTrusted(Ip("fe80::1")));
        Assert.Equal(Ip("198.51.100.7"), proxies.ResolveClient(Ip("10.1.1.1"), "198.51.100.7, 10.9.9.9"));
    }

    [Fact]
    public void IPv4_mapped_IPv6_addresses_count_as_their_IPv4_address()
    {
        // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
        var proxies = ProxyList.Parse("10.0.0.1");

        Assert.True(proxies.IsTrusted(Ip("::ffff:10.0.0.1")));
        Assert.Equal(Ip("198.51.100.7"), proxies.ResolveClient(Ip("::ffff:10.0.0.1"), "::ffff:198.51.100.7"));
        Assert.Equal(Ip("203.0.113.9"), proxies.ResolveClient(Ip("::ffff:203.0.113.9"), null));
    }

    [Theory]
    [InlineData("198.51.100.7, not-an-ip")]
    [InlineData("unknown")]
    [InlineData("198.51.100.7:1234x")]
    public void Malformed_X_Forwarded_For_is_not_believed(string forwardedFor) =>
        Assert.Equal(Ip("10.0.0.1"), ProxyList.Parse("10.0.0.1").ResolveClient(Ip("10.0.0.1"), forwardedFor));

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    [InlineData("10.0.0.2")] // every hop is one of ours
    public void Chain_without_an_untrusted_hop_resolves_to_the_peer(string forwardedFor) =>
        Assert.Equal(Ip("10.0.0.1"), ProxyList.Parse("10.0.0.1,10.0.0.2").ResolveClient(Ip("10.0.0.1"), forwardedFor));

    [Theory]
    [InlineData("not-an-ip")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/x")]
    public void Malformed_entry_is_a_configuration_error(string list) =>
        Assert.ThrowsAny<FormatException>(() => ProxyList.Parse(list));

    [Fact]
    public void Empty_list_trusts_nobody()
    {
        Assert.False(ProxyList.Parse("").IsTrusted(Ip("127.0.0.1")));
        Assert.False(ProxyList.Empty.IsTrusted(Ip("::1")));
    }
}
