using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// The closing handshake (RFC 6455 §5.5.1, §7) started by the client: the server answers with its own Close and, as
/// the server, closes the TCP connection first (§7.1.1).
/// </summary>
public sealed class ClosingHandshakeTests
{
    [Fact]
    [Trait("Rfc", "6455-5.5.1-answer-close")]
    [Trait("Rfc", "6455-5.5.1-answer-soon")]
    [Trait("Rfc", "6455-5.5.1-close-tcp")]
    [Trait("Rfc", "6455-7.1.1-server-first")]
    public async Task Client_close_1000_is_echoed_and_the_server_closes_tcp()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendCloseAsync(CloseCode.NormalClosure, "bye");

        // RFC 6455 §5.5.1: the endpoint answers a Close "typically echoing the status code it received".
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(CloseCode.NormalClosure, close.CloseCode);
        // RFC 6455 §7.1.1: "the server MUST close the underlying TCP connection immediately" after the exchange.
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-body")]
    [Trait("Rfc", "6455-5.5.1-answer-close")]
    [Trait("Rfc", "6455-7.4.1-reserved-codes")]
    public async Task Client_close_without_a_body_gets_a_close_without_a_body()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendFrameAsync(Opcode.Close, []);

        // §5.5.1: a Close may have no body; echoing "no status" means sending no body either (1005 never goes on the wire).
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Empty(close.Payload);
        await client.AssertServerClosesTcpAsync();
    }

    [Theory]
    [Trait("Rfc", "6455-5.5.1-code-valid")]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)] // reserved
    [InlineData(1005)] // "no status": API only, MUST NOT be sent (§7.4.1)
    [InlineData(1006)] // "abnormal closure": API only, MUST NOT be sent
    [InlineData(1015)] // "TLS handshake failure": API only, MUST NOT be sent
    [InlineData(1016)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public async Task Close_with_a_code_no_peer_may_send_gets_close_1002(int code)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendCloseAsync((ushort)code);

        await client.AssertClosedWithAsync(CloseCode.ProtocolError);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-code-length")]
    [Trait("Rfc", "6455-7.1.7-close")]
    public async Task Close_with_a_one_byte_body_gets_close_1002()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // §5.5.1: a body, if present, starts with a 2-byte code; one byte cannot be valid.
        await client.SendFrameAsync(Opcode.Close, [0x03]);

        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(CloseCode.ProtocolError, close.CloseCode);
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-reason")]
    public async Task Close_reason_that_is_not_utf8_gets_close_1007()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // §5.5.1: the reason is UTF-8; §8.1 makes invalid UTF-8 a 1007.
        await client.SendFrameAsync(Opcode.Close, RawClient.CloseBody(CloseCode.NormalClosure, [0xCE, 0xBA, 0xE1, 0xBD]));

        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(CloseCode.InvalidPayloadData, close.CloseCode);
        await client.AssertServerClosesTcpAsync();
    }

    [Theory]
    [Trait("Rfc", "6455-5.5.1-code-valid")]
    [Trait("Rfc", "6455-5.5.1-answer-close")]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(3000)] // IANA-registered range
    [InlineData(4999)] // private-use range
    public async Task Close_with_a_valid_code_is_echoed_with_that_code(int code)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        await client.SendCloseAsync((ushort)code, "reason ✓");

        await client.AssertClosedWithAsync((ushort)code);
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-close-tcp")]
    public async Task Data_frames_after_the_clients_close_are_not_echoed()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);

        // Close and a text frame behind it in one write: RFC 6455 §5.5.1 says no data follows a Close.
        byte[] closeThenText =
        [
            .. client.MaskedFrame(Opcode.Close, RawClient.CloseBody(CloseCode.NormalClosure)),
            .. client.MaskedFrame(Opcode.Text, "too late"u8),
        ];
        await client.SendRawAsync(closeThenText);

        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        // Nothing else: no echo of "too late", just the end of the TCP connection.
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-5.5.1-answer-close")]
    public async Task Close_frame_split_across_tcp_writes_is_still_answered()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server);
        byte[] frame = client.MaskedFrame(Opcode.Close, RawClient.CloseBody(CloseCode.GoingAway, "split"u8));

        await client.SendRawAsync(frame.AsMemory(0, 3));
        await Task.Delay(50);
        await client.SendRawAsync(frame.AsMemory(3));

        Assert.Equal(CloseCode.GoingAway, (await client.ReadFrameAsync()).CloseCode);
        await client.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-7.4.1-reserved-codes")]
    public async Task Client_that_closes_tcp_without_a_close_frame_is_logged_as_1006()
    {
        await using TestServer server = await TestServer.StartAsync();
        RawClient client = await RawClient.OpenAsync(server);
        await client.SendTextAsync("bye");
        await client.ReadFrameAsync();

        await client.DisposeAsync();

        // RFC 6455 §7.1.5: with no Close frame received, the close code is 1006 (never sent, only reported).
        await Eventually.TrueAsync(() => server.LogText.Contains("code=1006"), "a close line with code=1006 in the log");
        Assert.DoesNotContain("unexpected error", server.LogText);
    }
}
