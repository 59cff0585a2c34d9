using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using RawSocketChat.Tests.Support;
using Xunit.Abstractions;

namespace RawSocketChat.Tests.Attacks;

/// <summary>
/// What arrives on a public port besides WebSocket clients: TLS handshakes aimed at the wrong port, HTTP/2 clients,
/// scanners' binary noise. Each gets a 400 (or 431) or a dropped connection — never a 101, never an error in the log.
/// </summary>
[Collection(HeavyTests.Name)]
public sealed class GarbageTests(ITestOutputHelper output)
{
    private static readonly string[] ServerArgs = ["--handshake-timeout", "2s"];

    [SkippableFact]
    public async Task A_real_tls_client_hello_on_the_plain_port_is_refused_with_400()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerArgs);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.EndPoint);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);

        // A browser or curl pointed at wss:// or https:// on the plain port: a full ClientHello from the OS's TLS.
        Exception refused = await Assert.ThrowsAnyAsync<Exception>(() =>
            tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(refused is AuthenticationException or IOException, $"unexpected failure: {refused}");

        await Transport.Eventually.TrueAsync(() => server.LogText.Contains("status=400", StringComparison.Ordinal), "the refusal to be logged");
        await AssertStillServesAsync(server);
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task An_http2_client_with_prior_knowledge_is_refused_with_400()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerArgs);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        // h2c with prior knowledge: the client opens with the HTTP/2 preface (RFC 9113 §3.4) on a plain connection.
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/chat")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(request));

        await Transport.Eventually.TrueAsync(() => server.LogText.Contains("status=400", StringComparison.Ordinal), "the refusal to be logged");
        await AssertStillServesAsync(server);
        server.AssertHealthy();
    }

    public static TheoryData<string> Prefixes => ["TLS ClientHello", "HTTP/2 preface and SETTINGS", "binary noise", "NUL bytes", "a 1 MB line"];

    private static byte[] Garbage(string name) => name switch
    {
        "TLS ClientHello" => Convert.FromHexString("16030100a5010000a10303" + "5b2c6e1e4a0f4b3c9d8e7f6a5b4c3d2e1f00112233445566778899aabbccddeeff" +
            "000020c02bc02fc02cc030cca9cca8c013c014009c009d002f0035000a0100"),
        // RFC 9113 §3.4 preface, then an empty SETTINGS frame (§6.5).
        "HTTP/2 preface and SETTINGS" => [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0],
        "binary noise" => Noise(seed: 1, length: 4096),
        "NUL bytes" => new byte[4096],
        "a 1 MB line" => Enumerable.Repeat((byte)'A', 1 << 20).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [SkippableTheory]
    [MemberData(nameof(Prefixes))]
    public async Task Garbage_before_or_instead_of_a_handshake_gets_400_or_a_drop_never_an_upgrade(string name)
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerArgs);
        byte[] garbage = Garbage(name);
        byte[] valid = Encoding.ASCII.GetBytes(RawClient.UpgradeRequest("/chat"));

        // Instead of a handshake, and in front of a perfectly valid one: neither may be upgraded.
        string instead = await ExchangeAsync(server.EndPoint, garbage);
        string before = await ExchangeAsync(server.EndPoint, [.. garbage, .. valid]);
        output.WriteLine($"{name}: instead → {Describe(instead)}; before a valid request → {Describe(before)}");
        AssertRefused(name, instead);
        AssertRefused(name + " + valid request", before);

        await AssertStillServesAsync(server);
        server.AssertHealthy();
    }

    [SkippableFact]
    public async Task Two_hundred_kinds_of_binary_noise_in_and_after_a_request_line_are_refused_and_memory_stays_bounded()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(ServerArgs);
        await SlowlorisTests.WarmUpAsync(server);
        ServerMemory before = await server.MemoryAsync();

        var answers = new string[200];
        var random = new Random(6455);
        int[] lengths = Enumerable.Range(0, answers.Length).Select(_ => random.Next(1, 20_000)).ToArray();
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < answers.Length)
                answers[n] = await ExchangeAsync(server.EndPoint, n % 2 == 0
                    ? Noise(seed: 1000 + n, lengths[n])
                    // Half of them get past the request line first, into the header parser.
                    : [.. "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8, .. Noise(seed: 1000 + n, lengths[n])]);
        })));
        ServerMemory after = await server.MemoryAsync();

        output.WriteLine("answers: " + string.Join(", ", answers.GroupBy(Describe).Select(g => $"{g.Key} ×{g.Count()}")));
        output.WriteLine($"server before: {before}; after: {after}");
        for (int i = 0; i < answers.Length; i++)
            AssertRefused($"noise #{i} ({lengths[i]} bytes)", answers[i]);
        // Live heap after a full collection (docs/security.md): keeping the 8 KiB header buffer of each refused
        // request would add 1.6 MiB.
        Assert.True(after.LiveHeapBytes - before.LiveHeapBytes < 1L << 20, $"noise grew the live heap by {ServerMemory.Mib(after.LiveHeapBytes - before.LiveHeapBytes)}");
        Assert.True(after.RssBytes - before.RssBytes < 128L << 20, $"noise grew the server's RSS by {ServerMemory.Mib(after.RssBytes - before.RssBytes)}");
        await AssertStillServesAsync(server);
        server.AssertHealthy();
    }

    private static void AssertRefused(string what, string answer) =>
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal) || answer.StartsWith("HTTP/1.1 431 ", StringComparison.Ordinal),
            $"{what}: expected 400, 431 or a dropped connection, got: {Describe(answer)}");

    private static string Describe(string answer) => answer.Length == 0 ? "dropped" : answer.Split("\r\n")[0];

    /// <summary>Sends <paramref name="bytes"/> and returns what came back before the server closed (Latin-1).</summary>
    private static async Task<string> ExchangeAsync(IPEndPoint server, byte[] bytes)
    {
        await using RawClient client = await RawClient.ConnectAsync(server);
        try
        {
            await client.SendRawAsync(bytes);
        }
        catch (IOException)
        {
            // The server refused after the first bytes and closed while we were still writing.
        }
        return Encoding.Latin1.GetString(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(15)));
    }

    private static async Task AssertStillServesAsync(ServerProcess server)
    {
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(101, (await client.HandshakeAsync(RawClient.UpgradeRequest("/echo"))).StatusCode);
        await client.SendTextAsync("fine");
        Assert.Equal("fine", (await client.ReadDataFrameAsync()).Text);
    }

    private static byte[] Noise(int seed, int length)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
