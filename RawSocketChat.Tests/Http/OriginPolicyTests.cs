using RawSocketChat.Http;

namespace RawSocketChat.Tests.Http;

/// <summary>
/// RFC 6455 §10.2: a browser always sends the Origin of the page that opens a socket; the server decides which
/// pages may. Non-browser clients send none.
/// </summary>
public class OriginPolicyTests
{
    private static readonly OriginPolicy Default = new(OriginPolicy.Default);

    [Fact]
    [Trait("Rfc", "6455-4.2.1-no-origin")]
    public void Request_without_Origin_is_allowed_whatever_the_policy()
    {
        // Origin is "sent by browser clients" (§4.1 item 8); a native client has no page to protect.
        Assert.True(Default.IsAllowed(null, "localhost:8080"));
        Assert.True(new OriginPolicy("https://only.example").IsAllowed(null, "example.com"));
        Assert.True(new OriginPolicy("").IsAllowed(null, null));
    }

    [Theory]
    [Trait("Rfc", "6455-10.2-origin")]
    [InlineData("http://chat.example:8080", "chat.example:8080")]
    [InlineData("http://chat.example", "chat.example")]
    [InlineData("http://chat.example", "chat.example:80")] // default port written out
    [InlineData("http://chat.example:80", "chat.example")]
    [InlineData("https://chat.example", "chat.example")] // behind a TLS proxy: the default https port
    [InlineData("https://chat.example", "chat.example:443")]
    [InlineData("http://CHAT.Example:8080", "chat.EXAMPLE:8080")] // host names are case-insensitive
    [InlineData("http://192.0.2.7:8080", "192.0.2.7:8080")]
    [InlineData("http://[2001:db8::7]:8080", "[2001:db8::7]:8080")]
    public void Default_policy_allows_the_page_served_by_this_host(string origin, string host) =>
        Assert.True(Default.IsAllowed(origin, host));

    [Theory]
    [Trait("Rfc", "6455-10.2-origin")]
    [InlineData("http://chat.example:9090", "chat.example:8080")] // another port is another origin (RFC 6454 §4)
    [InlineData("http://chat.example", "chat.example:8080")]
    [InlineData("https://chat.example", "chat.example:80")]
    [InlineData("http://chat.example.evil.example", "chat.example")]
    [InlineData("http://evilchat.example", "chat.example")]
    [InlineData("http://chat.example@evil.example", "chat.example")]
    public void Default_policy_refuses_another_host_or_port(string origin, string host) =>
        Assert.False(Default.IsAllowed(origin, host));

    [Theory]
    [InlineData("null")] // RFC 6454 §7.1: a page opened from a file, or a sandboxed frame
    [InlineData("http://localhost")]
    [InlineData("http://localhost:3000")]
    [InlineData("http://localhost:65535")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://127.0.0.1:5173")]
    [InlineData("http://[::1]")]
    [InlineData("http://[::1]:8081")]
    public void Default_policy_allows_local_development_pages(string origin) =>
        Assert.True(Default.IsAllowed(origin, "chat.example"));

    [Theory]
    [Trait("Rfc", "6455-10.2-origin")]
    [InlineData("http://evil.example")]
    [InlineData("https://evil.example")]
    [InlineData("https://localhost")] // the default lists local pages over http only
    [InlineData("http://localhost.evil.example")]
    [InlineData("http://127.0.0.2")]
    [InlineData("http://[::2]")]
    [InlineData("file:///home/me/chat.html")]
    [InlineData("not an origin")]
    [InlineData("")]
    [InlineData("NULL")] // the serialization of an opaque origin is exactly "null"
    public void Default_policy_refuses_other_origins(string origin) =>
        Assert.False(Default.IsAllowed(origin, "chat.example:8080"));

    [Fact]
    [Trait("Rfc", "6455-10.2-origin")]
    public void Explicit_list_allows_only_its_entries()
    {
        var policy = new OriginPolicy("https://chat.example, https://admin.chat.example:8443");

        Assert.True(policy.IsAllowed("https://chat.example", "api.chat.example"));
        Assert.True(policy.IsAllowed("https://chat.example:1234", "api.chat.example")); // no port given: any port
        Assert.True(policy.IsAllowed("https://admin.chat.example:8443", "api.chat.example"));
        Assert.False(policy.IsAllowed("https://admin.chat.example", "api.chat.example")); // 443 is not 8443
        Assert.False(policy.IsAllowed("https://admin.chat.example:8444", "api.chat.example"));
        Assert.False(policy.IsAllowed("http://chat.example", "api.chat.example")); // scheme is part of the origin
        Assert.False(policy.IsAllowed("null", "api.chat.example"));
    }

    [Fact]
    public void Explicit_list_without_self_refuses_the_own_host()
    {
        var policy = new OriginPolicy("https://chat.example");

        Assert.False(policy.IsAllowed("http://api.example:8080", "api.example:8080"));
    }

    [Fact]
    public void Explicit_port_in_an_entry_must_match()
    {
        var policy = new OriginPolicy("http://localhost:3000");

        Assert.True(policy.IsAllowed("http://localhost:3000", "x"));
        Assert.False(policy.IsAllowed("http://localhost:3001", "x"));
        Assert.False(policy.IsAllowed("http://localhost", "x"));
    }

    [Fact]
    public void IPv6_entries_with_and_without_port()
    {
        var anyPort = new OriginPolicy("http://[::1]");
        var onePort = new OriginPolicy("http://[::1]:8080");

        Assert.True(anyPort.IsAllowed("http://[::1]:1234", "x"));
        Assert.True(onePort.IsAllowed("http://[::1]:8080", "x"));
        Assert.False(onePort.IsAllowed("http://[::1]:8081", "x"));
        Assert.False(onePort.IsAllowed("http://[::2]:8080", "x"));
    }

    [Fact]
    public void Star_allows_every_origin()
    {
        var policy = new OriginPolicy("*");

        Assert.True(policy.IsAllowed("http://evil.example", "chat.example"));
        Assert.True(policy.IsAllowed("null", "chat.example"));
        Assert.True(policy.IsAllowed("anything at all", null));
    }

    [Fact]
    public void Self_needs_a_Host_to_compare_with()
    {
        var policy = new OriginPolicy("self");

        Assert.False(policy.IsAllowed("http://chat.example", null));
        Assert.False(policy.IsAllowed("http://chat.example", "bad host/"));
    }

    [Fact]
    public void Entries_are_case_insensitive_and_whitespace_tolerant()
    {
        var policy = new OriginPolicy(" SELF ,NULL, HTTP://Chat.Example ");

        Assert.True(policy.IsAllowed("null", "x"));
        Assert.True(policy.IsAllowed("http://chat.example", "x"));
        Assert.True(policy.IsAllowed("http://x", "x"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("ftp://example.com")]
    [InlineData("self, example.com")]
    public void Entry_that_is_not_an_origin_is_a_configuration_error(string entries) =>
        Assert.Throws<ArgumentException>(() => new OriginPolicy(entries));
}
