using RawSocketChat.Http;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Tests.Http;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// permessage-deflate negotiation (RFC 7692 §5, §7) as a table: the client's Sec-WebSocket-Extensions in, the 101's
/// Sec-WebSocket-Extensions out (null = declined, the connection runs uncompressed), or a 400 for a header that breaks
/// the RFC 6455 §9.1 grammar.
/// </summary>
public class ExtensionNegotiationTests
{
    private static readonly OriginPolicy Origins = new(OriginPolicy.Default);
    private static readonly DeflateOptions Policy = new();

    private static HttpResponse Answer(DeflateOptions? deflate, out DeflateParameters? agreed, params string[] extensionLines)
    {
        var request = new HandshakeRequest();
        foreach (string line in extensionLines)
            request.Add("Sec-WebSocket-Extensions", line);
        return Handshake.Accept(request.Parse(), [], Origins, deflate, out agreed);
    }

    private static string? ResponseExtensions(HttpResponse response) =>
        response.Headers.Where(h => h.Key == "Sec-WebSocket-Extensions").Select(h => h.Value).SingleOrDefault();

    // What real clients send, and what the RFC's parameters allow.
    [Theory]
    [Trait("Rfc", "6455-9-accept")]
    [Trait("Rfc", "6455-9-parameters")]
    [Trait("Rfc", "7692-5-accept")]
    [Trait("Rfc", "7692-5-alone")]
    [Trait("Rfc", "7692-7.1.1.1-support")]
    [Trait("Rfc", "7692-7.1.1.2-response")]
    [Trait("Rfc", "7692-7.1.2.1-same-or-smaller")]
    [Trait("Rfc", "7692-7.1.2.2-response")]
    [Trait("Rfc", "7692-7.1.2.2-not-offered")]
    // Chrome, Node ws (default), .NET ClientWebSocket (DangerousDeflateOptions defaults), Firefox and Safari.
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits=15; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15")]
    [InlineData("permessage-deflate", "permessage-deflate")]
    // §7.1.1: no_context_takeover parameters are accepted by echoing them.
    [InlineData("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover")]
    [InlineData("permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    // §7.1.2.2: any client window from 8 to 15 can be decoded by our 15-bit inflater; the value is stated back.
    [InlineData("permessage-deflate; client_max_window_bits=8", "permessage-deflate; client_max_window_bits=8")]
    [InlineData("permessage-deflate; client_max_window_bits=9", "permessage-deflate; client_max_window_bits=9")]
    [InlineData("permessage-deflate; client_max_window_bits=12", "permessage-deflate; client_max_window_bits=12")]
    // Quoted values are unescaped (RFC 6455 §9.1), whitespace around ; = , is optional.
    [InlineData("permessage-deflate;client_max_window_bits=\"10\"", "permessage-deflate; client_max_window_bits=10")]
    [InlineData("permessage-deflate ;  client_max_window_bits = \"1\\1\"", "permessage-deflate; client_max_window_bits=11")]
    [InlineData("permessage-deflate; server_max_window_bits=\"15\"", "permessage-deflate; server_max_window_bits=15")]
    // §7.1.2.1: a smaller server window is answered with the same value (compressed through the system zlib; 8 is
    // answered too, and our messages then go uncompressed).
    [InlineData("permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_max_window_bits=8")]
    [InlineData("permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9")]
    [InlineData("permessage-deflate; server_max_window_bits=14", "permessage-deflate; server_max_window_bits=14")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_max_window_bits=9", "permessage-deflate; server_no_context_takeover; server_max_window_bits=9")]
    // §5: several offers: the first acceptable one wins; the rest are ignored.
    [InlineData("permessage-deflate; server_max_window_bits=10; mystery, permessage-deflate; client_no_context_takeover",
        "permessage-deflate; client_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10")]
    [InlineData("permessage-deflate; client_max_window_bits=10, permessage-deflate", "permessage-deflate; client_max_window_bits=10")]
    [InlineData("x-webkit-deflate-frame, permessage-deflate; foo=1, permessage-deflate", "permessage-deflate")]
    [InlineData("foo; bar=\"baz\", permessage-deflate", "permessage-deflate")]
    [InlineData(", , permessage-deflate ,", "permessage-deflate")]
    public void Acceptable_offer_is_answered_with_the_parameters_in_force(string offer, string expected)
    {
        HttpResponse response = Answer(Policy, out DeflateParameters? agreed, offer);
        Assert.Equal(101, response.StatusCode);
        Assert.Equal(expected, ResponseExtensions(response));
        Assert.NotNull(agreed);
        Assert.Equal(expected, agreed.ToHeaderValue());
    }

    // RFC 7692 §7: each reason to decline; declining means a 101 without the header.
    [Theory]
    [Trait("Rfc", "6455-4.2.2-extensions")]
    [Trait("Rfc", "6455-9-parameters")]
    [Trait("Rfc", "7692-7-decline-unknown")]
    [Trait("Rfc", "7692-7-decline-invalid")]
    [Trait("Rfc", "7692-7-decline-duplicate")]
    // "An extension parameter with an invalid value".
    [InlineData("permessage-deflate; server_max_window_bits")]          // §7.1.2.1: a value is required
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits=015")]      // "without leading zeroes"
    [InlineData("permessage-deflate; client_max_window_bits=7")]
    [InlineData("permessage-deflate; client_max_window_bits=16")]
    [InlineData("permessage-deflate; client_max_window_bits=09")]
    [InlineData("permessage-deflate; client_max_window_bits=abc")]
    [InlineData("permessage-deflate; client_max_window_bits=+9")]
    [InlineData("permessage-deflate; server_no_context_takeover=true")] // §7.1.1.1: no value allowed
    [InlineData("permessage-deflate; client_no_context_takeover=1")]
    // "Multiple extension parameters with the same name".
    [InlineData("permessage-deflate; client_max_window_bits; client_max_window_bits=10")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    // "An extension parameter not defined for use in an offer".
    [InlineData("permessage-deflate; foo")]
    [InlineData("permessage-deflate; Server_No_Context_Takeover")]
    // Not our extension at all (names are exact tokens).
    [InlineData("deflate-frame")]
    [InlineData("Permessage-Deflate")]
    [InlineData("x-webkit-deflate-frame; no_context_takeover")]
    public void Offer_we_cannot_honour_is_declined_not_violated(string offer)
    {
        HttpResponse response = Answer(Policy, out DeflateParameters? agreed, offer);
        Assert.Equal(101, response.StatusCode);
        Assert.Null(ResponseExtensions(response));
        Assert.Null(agreed);
    }

    // RFC 7692 §7: the server MUST decline an offer when it "doesn't support the offered configuration". A window of 9
    // to 14 bits needs the system zlib (DeflateStream compresses with 15 only): accepted where it loads, declined
    // elsewhere, never accepted and then violated.
    [Theory]
    [Trait("Rfc", "7692-7-decline-unsupported")]
    [InlineData(9)]
    [InlineData(14)]
    public void A_small_server_window_is_accepted_only_where_the_system_zlib_is(int bits)
    {
        HttpResponse response = Answer(Policy, out DeflateParameters? agreed, $"permessage-deflate; server_max_window_bits={bits}");
        Assert.Equal(101, response.StatusCode);
        if (ZLibDeflater.IsAvailable)
        {
            Assert.Equal($"permessage-deflate; server_max_window_bits={bits}", ResponseExtensions(response));
            using var compressor = new MessageDeflater(noContextTakeover: false, windowBits: agreed!.ServerWindowBits);
        }
        else
        {
            Assert.Null(ResponseExtensions(response));
            Assert.Null(agreed);
        }
    }

    // RFC 6455 §9.1 grammar broken: the handshake is malformed (§4.2.1: 400).
    [Theory]
    [Trait("Rfc", "6455-9.1-malformed")]
    [Trait("Rfc", "6455-9.1-quoted-token")]
    [InlineData("permessage-deflate; client_max_window_bits=\"10")]     // unterminated quote
    [InlineData("permessage-deflate; client_max_window_bits=\"1 0\"")] // quoted value is not a token
    [InlineData("permessage-deflate; client_max_window_bits=\"\"")]
    [InlineData("permessage-deflate; =10")]
    [InlineData("permessage-deflate;")]
    [InlineData("permessage-deflate; client_max_window_bits=")]
    [InlineData("; client_max_window_bits")]
    [InlineData("permessage deflate")]
    [InlineData("permessage-deflate client_max_window_bits")]
    [InlineData("permessage-deflate; a=b=c")]
    [InlineData("permessage-deflate; a=(b)")]
    [InlineData("\"permessage-deflate\"")]
    [InlineData(",")]                                                    // 1#extension: at least one
    public void Header_that_breaks_the_grammar_is_a_bad_request(string header)
    {
        HttpResponse response = Answer(Policy, out DeflateParameters? agreed, header);
        Assert.Equal(400, response.StatusCode);
        Assert.Contains("Sec-WebSocket-Extensions", response.Reason);
        Assert.Null(agreed);
    }

    [Fact]
    [Trait("Rfc", "6455-9-accept")]
    [Trait("Rfc", "6455-9.1-lines")]
    public void Repeated_header_lines_form_one_list_in_order()
    {
        // RFC 9110 §5.3: two lines are the same as one line joined by a comma.
        HttpResponse response = Answer(Policy, out _, "permessage-deflate; server_max_window_bits=10; mystery", "permessage-deflate; client_no_context_takeover");
        Assert.Equal("permessage-deflate; client_no_context_takeover", ResponseExtensions(response));
    }

    [Fact]
    [Trait("Rfc", "7692-7.1.1.1-unasked")]
    [Trait("Rfc", "7692-7.1.1.2-response")]
    [Trait("Rfc", "7692-7.1.2.2-not-offered")]
    public void Without_context_takeover_the_server_adds_both_no_context_takeover_parameters()
    {
        // RFC 7692 §7.1.1.1 and §7.1.1.2: the server may include either parameter even if the offer did not.
        var policy = new DeflateOptions { ContextTakeover = false };
        HttpResponse response = Answer(policy, out DeflateParameters? agreed, "permessage-deflate; client_max_window_bits");
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover", ResponseExtensions(response));
        Assert.True(agreed!.ServerNoContextTakeover && agreed.ClientNoContextTakeover);
    }

    [Fact]
    [Trait("Rfc", "6455-9.1-malformed-deflate-off")]
    public void With_deflate_off_a_malformed_header_is_still_a_bad_request_and_a_good_one_is_declined()
    {
        Assert.Equal(400, Answer(deflate: null, out _, "permessage-deflate; \"broken").StatusCode);
        HttpResponse response = Answer(deflate: null, out DeflateParameters? agreed, "permessage-deflate; client_max_window_bits");
        Assert.Equal(101, response.StatusCode);
        Assert.Null(ResponseExtensions(response));
        Assert.Null(agreed);
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-extensions")]
    public void Without_the_header_nothing_is_negotiated()
    {
        HttpResponse response = Answer(Policy, out DeflateParameters? agreed);
        Assert.Equal(101, response.StatusCode);
        Assert.Null(ResponseExtensions(response));
        Assert.Null(agreed);
    }

    [Fact]
    [Trait("Rfc", "6455-9.1-quoted-token")]
    public void Parser_keeps_parameters_in_order_with_and_without_values()
    {
        Assert.True(ExtensionNegotiation.TryParse(["a; x; y=1; z=\"q\", b"], out List<ExtensionOffer> offers));
        Assert.Equal(2, offers.Count);
        Assert.Equal("a", offers[0].Name);
        Assert.Equal([new("x", null), new("y", "1"), new("z", "q")], offers[0].Parameters);
        Assert.Equal("b", offers[1].Name);
        Assert.Empty(offers[1].Parameters);
    }

    [Fact]
    [Trait("Rfc", "7692-7-decline-unknown")]
    [Trait("Rfc", "7692-7-decline-invalid")]
    public void Each_decline_names_its_reason()
    {
        Assert.True(ExtensionNegotiation.TryParse(["permessage-deflate; server_max_window_bits=16"], out List<ExtensionOffer> offers));
        Assert.False(ExtensionNegotiation.TryAcceptDeflate(offers[0], Policy, out _, out string? reason));
        Assert.Contains("server_max_window_bits", reason);
    }
}
