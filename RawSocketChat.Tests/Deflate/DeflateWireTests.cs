using System.Text;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Tests.Protocol;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// permessage-deflate on the wire against the real server's /echo, with a raw client that compresses and checks
/// every bit itself. The cases follow Autobahn|Testsuite's groups 12 (compressed echo of payloads of 16 B to 128 KiB)
/// and 13 (the same under different parameter offers, window bits 8 to 15, context takeover on and off), with fewer
/// messages per case; Autobahn itself is not available here.
/// </summary>
public class DeflateWireTests
{
    /// <summary>Autobahn 12.x/13.x payload sizes.</summary>
    public static readonly int[] AutobahnSizes = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072];

    /// <summary>Autobahn 13.x offers and the answer a correct server gives (null = declined).</summary>
    public static TheoryData<string, string?> Offers => new()
    {
        { "permessage-deflate", "permessage-deflate" },                                                    // 13.1
        { "permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover" }, // 13.2
        { "permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover" },
        { "permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9" },   // 13.3
        { "permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
          "permessage-deflate; server_no_context_takeover; server_max_window_bits=9" },                     // 13.5
        { "permessage-deflate; server_max_window_bits=12", "permessage-deflate; server_max_window_bits=12" },
        { "permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15" }, // 13.4
        { "permessage-deflate; client_max_window_bits=9", "permessage-deflate; client_max_window_bits=9" },   // 13.5
        { "permessage-deflate; client_max_window_bits=15", "permessage-deflate; client_max_window_bits=15" }, // 13.6
        { "permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits=8",
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=8" }, // 13.7
        // 8: answered as asked; our messages then go uncompressed (zlib has no 256-byte window).
        { "permessage-deflate; server_max_window_bits=8; client_no_context_takeover, permessage-deflate; client_max_window_bits",
          "permessage-deflate; client_no_context_takeover; server_max_window_bits=8" },
    };

    /// <summary>A client on a raw socket that speaks permessage-deflate with its own compressor and decompressor.</summary>
    private sealed class DeflateClient : IAsyncDisposable
    {
        public required RawClient Raw { get; init; }
        public required string? Extensions { get; init; }
        public MessageDeflater? Deflater { get; init; }
        public MessageInflater? Inflater { get; init; }
        public DeflateParameters? Agreed { get; init; }

        public static async Task<DeflateClient> OpenAsync(TestServer server, string offer)
        {
            RawClient raw = await RawClient.ConnectAsync(server.EndPoint);
            HttpHead head = await raw.HandshakeAsync(RawClient.UpgradeRequest("/echo", RawClient.SampleKey, "Sec-WebSocket-Extensions: " + offer));
            Assert.True(head.StatusCode == 101, head.StatusLine);
            string? extensions = head.Header("Sec-WebSocket-Extensions");
            DeflateParameters? agreed = null;
            if (extensions is not null)
            {
                // The client side of RFC 7692 §7: parse the answer with the same grammar.
                Assert.True(RawSocketChat.Http.ExtensionNegotiation.TryParse([extensions], out var answer));
                Assert.Single(answer);
                var names = answer[0].Parameters.Select(p => p.Name).ToHashSet();
                agreed = new DeflateParameters
                {
                    ServerNoContextTakeover = names.Contains("server_no_context_takeover"),
                    ClientNoContextTakeover = names.Contains("client_no_context_takeover"),
                };
            }
            return new DeflateClient
            {
                Raw = raw,
                Extensions = extensions,
                Agreed = agreed,
                // The client compresses with context takeover unless the server asked it not to (§7.1.1.2).
                Deflater = agreed is null ? null : new MessageDeflater(agreed.ClientNoContextTakeover),
                Inflater = agreed is null ? null : new MessageInflater(agreed.ServerNoContextTakeover),
            };
        }

        /// <summary>Sends one message, compressed if the extension is on, cut into frames of at most <paramref name="fragmentSize"/> bytes.</summary>
        public async Task SendAsync(Opcode opcode, byte[] message, int fragmentSize = int.MaxValue)
        {
            byte[] payload = Deflater is null ? message : MessageCodecTests.Compress(Deflater, message);
            int[] cuts = Enumerable.Range(1, Math.Max(0, (payload.Length - 1) / fragmentSize)).Select(i => i * fragmentSize).ToArray();
            int at = 0;
            foreach (byte[] fragment in Segments.Cut(payload, cuts))
            {
                bool first = at == 0;
                at += fragment.Length;
                await Raw.SendFrameAsync(first ? opcode : Opcode.Continuation, fragment, fin: at == payload.Length,
                    rsv: first && Deflater is not null ? FrameHeader.Rsv1 : (byte)0);
            }
        }

        /// <summary>Reads one whole message back; returns it inflated, and whether its first frame had RSV1.</summary>
        public async Task<(Opcode Opcode, byte[] Message, bool Compressed, int WireBytes)> ReceiveAsync()
        {
            ServerFrame first = await Raw.ReadDataFrameAsync();
            Assert.False(first.Masked); // RFC 6455 §5.1
            Assert.True(first.Opcode is Opcode.Text or Opcode.Binary, $"expected a data frame, got {first}");
            var frames = new List<ServerFrame> { first };
            while (!frames[^1].Fin)
            {
                ServerFrame next = await Raw.ReadDataFrameAsync();
                Assert.Equal(Opcode.Continuation, next.Opcode);
                Assert.Equal(0, next.Rsv); // RFC 7692 §6: RSV1 on the first frame only
                frames.Add(next);
            }
            Assert.Equal(0, first.Rsv & (FrameHeader.Rsv2 | FrameHeader.Rsv3));
            bool compressed = (first.Rsv & FrameHeader.Rsv1) != 0;
            byte[][] payloads = frames.Select(f => f.Payload).ToArray();
            int wire = payloads.Sum(p => p.Length);
            if (!compressed)
                return (first.Opcode, payloads.SelectMany(p => p).ToArray(), false, wire);
            Assert.True(Inflater is not null, "RSV1 set on a connection without permessage-deflate");
            return (first.Opcode, MessageCodecTests.Inflate(Inflater, payloads), true, wire);
        }

        public async ValueTask DisposeAsync()
        {
            await Raw.DisposeAsync();
            Deflater?.Dispose();
            Inflater?.Dispose();
        }
    }

    private static byte[] TestPayload(Opcode opcode, int size, int seed)
    {
        var random = new Random(seed);
        if (opcode == Opcode.Binary)
        {
            var bytes = new byte[size];
            random.NextBytes(bytes); // incompressible, as in Autobahn 12.2 and 12.4
            return bytes;
        }
        // Text that compresses like chat JSON: repeated keys, varied values, some non-ASCII.
        var text = new StringBuilder();
        while (text.Length < size)
            text.Append($"{{\"type\":\"message\",\"user\":\"user{random.Next(50)}\",\"text\":\"héllo {random.Next()} ✓\"}}");
        byte[] utf8 = Encoding.UTF8.GetBytes(text.ToString());
        int length = size;
        while (!System.Text.Unicode.Utf8.IsValid(utf8.AsSpan(0, length)))
            length--; // cut on a code point boundary: a text message must stay valid UTF-8
        return utf8[..length];
    }

    [Theory]
    [Trait("Rfc", "7692-5-accept")]
    [Trait("Rfc", "7692-7.2.1-window")]
    [MemberData(nameof(Offers))]
    public async Task Autobahn_13_offer_is_answered_and_echo_round_trips_at_every_size(string offer, string? expected)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using DeflateClient client = await DeflateClient.OpenAsync(server, offer);
        Assert.Equal(expected, client.Extensions);

        int seed = 0;
        foreach (int size in AutobahnSizes)
        {
            foreach (Opcode opcode in new[] { Opcode.Text, Opcode.Binary })
            {
                for (int i = 0; i < 3; i++)
                {
                    byte[] message = TestPayload(opcode, size, ++seed);
                    // Autobahn 12.x sends whole messages; 13.x also fragments them. Both here, alternating.
                    await client.SendAsync(opcode, message, fragmentSize: i == 1 ? 1300 : int.MaxValue);
                    var (gotOpcode, got, compressed, _) = await client.ReceiveAsync();
                    Assert.Equal(opcode, gotOpcode);
                    Assert.Equal(message, got);
                    // The server compresses what reaches the threshold (128 bytes by default), and only then; never
                    // with an 8-bit window, which zlib cannot compress with.
                    bool serverCompresses = expected is not null && !expected.Contains("server_max_window_bits=8", StringComparison.Ordinal);
                    Assert.Equal(serverCompresses && message.Length >= 128, compressed);
                }
            }
        }
        await client.Raw.SendCloseAsync(1000);
        Assert.Equal(1000, (await client.Raw.ReadDataFrameAsync()).CloseCode);
        Assert.DoesNotContain("unexpected error", server.LogText);
    }

    [Theory]
    [Trait("Rfc", "7692-7.1.1.1-support")]
    [Trait("Rfc", "7692-7.2.1-server-no-context")]
    [Trait("Rfc", "7692-7.2.1-takeover")]
    [InlineData("permessage-deflate", false)]
    [InlineData("permessage-deflate; server_no_context_takeover", true)]
    public async Task Server_context_takeover_is_honoured_on_the_wire(string offer, bool noContextTakeover)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using DeflateClient client = await DeflateClient.OpenAsync(server, offer);
        byte[] message = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20).Select(i => $"{{\"n\":{i},\"text\":\"context takeover\"}}")));

        await client.SendAsync(Opcode.Text, message);
        var first = await client.ReceiveAsync();
        await client.SendAsync(Opcode.Text, message);
        var second = await client.ReceiveAsync();
        Assert.Equal(message, second.Message);
        if (noContextTakeover)
            Assert.Equal(first.WireBytes, second.WireBytes); // the same message compresses the same way from an empty window
        else
            Assert.True(second.WireBytes < first.WireBytes / 2, $"{second.WireBytes} vs {first.WireBytes}: the second copy should refer back to the first");
    }

    [Fact]
    [Trait("Rfc", "6455-4.2.2-extensions")]
    [Trait("Rfc", "6455-5.8-negotiate")]
    public async Task Deflate_off_ignores_the_offer()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.Deflate = false);
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate; client_max_window_bits");
        Assert.Null(client.Extensions);
        byte[] message = TestPayload(Opcode.Text, 4096, 1);
        await client.SendAsync(Opcode.Text, message);
        var echo = await client.ReceiveAsync();
        Assert.False(echo.Compressed);
        Assert.Equal(message, echo.Message);
    }

    [Fact]
    [Trait("Rfc", "7692-7.1.1.1-unasked")]
    public async Task Server_without_context_takeover_option_forces_both_parameters()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.DeflateContextTakeover = false);
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate; client_max_window_bits");
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover", client.Extensions);
        for (int i = 0; i < 5; i++)
        {
            byte[] message = TestPayload(Opcode.Text, 2000, i);
            await client.SendAsync(Opcode.Text, message);
            Assert.Equal(message, (await client.ReceiveAsync()).Message);
        }
    }

    [Fact]
    [Trait("Rfc", "7692-6-rsv1-sent")]
    public async Task Threshold_option_decides_what_is_compressed()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.DeflateThreshold = 1000);
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate");
        await client.SendAsync(Opcode.Text, TestPayload(Opcode.Text, 999, 1));
        Assert.False((await client.ReceiveAsync()).Compressed);
        await client.SendAsync(Opcode.Text, TestPayload(Opcode.Text, 1000, 2));
        Assert.True((await client.ReceiveAsync()).Compressed);
    }

    [Fact]
    [Trait("Rfc", "6455-5.2-rsv-sent")]
    [Trait("Rfc", "6455-5.5.2-pong")]
    [Trait("Rfc", "7692-6-rsv1-sent")]
    public async Task Control_frames_are_never_compressed()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate");
        await client.Raw.SendFrameAsync(Opcode.Ping, new byte[125]);
        ServerFrame pong = await client.Raw.ReadFrameAsync();
        Assert.Equal(Opcode.Pong, pong.Opcode);
        Assert.Equal(0, pong.Rsv);
        await client.Raw.SendCloseAsync(1000, new string('x', 100));
        ServerFrame close = await client.Raw.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(0, close.Rsv);
    }

    [Fact]
    [Trait("Rfc", "7692-6-rsv1-continuation")]
    public async Task RSV1_on_a_continuation_frame_is_closed_with_1002()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate");
        byte[] payload = MessageCodecTests.Compress(client.Deflater!, "Hello, fragmented"u8);
        await client.Raw.SendFrameAsync(Opcode.Text, payload[..4], fin: false, rsv: FrameHeader.Rsv1);
        await client.Raw.SendFrameAsync(Opcode.Continuation, payload[4..], fin: true, rsv: FrameHeader.Rsv1);
        Assert.Equal(1002, (await client.Raw.ReadDataFrameAsync()).CloseCode);
        await client.Raw.AssertServerClosesTcpAsync();
    }

    [Fact]
    [Trait("Rfc", "6455-5.2-rsv")]
    [Trait("Rfc", "6455-5.8-negotiate")]
    public async Task RSV1_without_the_extension_is_closed_with_1002()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawClient raw = await RawClient.OpenAsync(server);
        await raw.SendFrameAsync(Opcode.Text, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], rsv: FrameHeader.Rsv1);
        Assert.Equal(1002, (await raw.ReadDataFrameAsync()).CloseCode);
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-inflate-limit")]
    public async Task Zip_bomb_is_closed_with_1009()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.MaxMessageBytes = 64 * 1024);
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate");
        byte[] bomb = DeflateFrames.CompressZeros(32 * 1024 * 1024);
        await client.Raw.SendFrameAsync(Opcode.Binary, bomb, rsv: FrameHeader.Rsv1);
        ServerFrame close = await client.Raw.ReadDataFrameAsync();
        Assert.Equal(1009, close.CloseCode);
        await client.Raw.AssertServerClosesTcpAsync();
    }

    [Fact]
    public async Task Corrupt_compressed_data_is_closed_with_1007()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate");
        await client.Raw.SendFrameAsync(Opcode.Binary, [0xff, 0xfe, 0xfd, 0xfc, 0xfb], rsv: FrameHeader.Rsv1);
        Assert.Equal(1007, (await client.Raw.ReadDataFrameAsync()).CloseCode);
        Assert.DoesNotContain("unexpected error", server.LogText);
    }

    [Fact]
    public async Task Open_line_in_the_log_names_the_extension()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using (DeflateClient client = await DeflateClient.OpenAsync(server, "permessage-deflate; client_max_window_bits=10"))
        {
            await client.SendAsync(Opcode.Text, "x"u8.ToArray());
            await client.ReceiveAsync();
        }
        Assert.Contains("extensions=\"permessage-deflate; client_max_window_bits=10\"", server.LogText);
    }
}
