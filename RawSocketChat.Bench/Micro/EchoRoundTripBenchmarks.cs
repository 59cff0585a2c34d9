using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Bench.Client;
using RawSocketChat.Bench.Peers;
using RawSocketChat.Diagnostics;
using RawSocketChat.Hosting;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// One echo round trip over a real loopback TCP connection, through each whole server running in this process:
/// handshake done once, then per operation the client sends one pre-masked text message and reads the echo.
/// <para>
/// The point is the <b>Allocated</b> column: it counts every byte allocated in the process (server threads included)
/// divided by the messages echoed. The client uses blocking socket calls on this thread (<see cref="RawClient.ConnectBlocking"/>), which allocate nothing,
/// so what remains is the server's cost per message. RawSocketChat's goal is 0 B up to 4 KiB.
/// </para>
/// </summary>
public class EchoRoundTripBenchmarks
{
    private App? _app;
    private IPeerServer? _peer;
    private Socket _socket = null!;
    private byte[] _frame = [];
    private byte[] _response = [];
    private int _expected;

    [Params(32, 1024, 4096)]
    public int Size;

    private void Connect(int port)
    {
        var url = new Uri($"ws://127.0.0.1:{port}/echo");
        _socket = RawClient.ConnectBlocking(url);
        _frame = Samples.ClientMessage(Opcode.Text, Samples.Text(TextKind.Ascii, Size));
        _expected = 2 + FrameHeader.ExtendedLengthBytes(Size) + Size;
        _response = new byte[_expected];
        for (int i = 0; i < 1000; i++)
            RoundTrip();
    }

    [GlobalSetup(Target = nameof(RawSocketChat))]
    public void StartRawSocketChat()
    {
        var options = new ServerOptions { Host = "127.0.0.1", Port = 0, LogLevel = LogLevel.None };
        _app = App.StartAsync(options, new Log(LogLevel.None)).GetAwaiter().GetResult();
        Connect(_app.Server.LocalEndPoint.Port);
    }

    [GlobalSetup(Target = nameof(ManagedWebSocket))]
    public void StartManaged()
    {
        _peer = ManagedPeer.Start(IPAddress.Loopback, 0);
        Connect(_peer.Port);
    }

    [GlobalSetup(Target = nameof(Kestrel))]
    public void StartKestrel()
    {
        _peer = KestrelPeer.StartAsync(IPAddress.Loopback, 0).GetAwaiter().GetResult();
        Connect(_peer.Port);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _socket.Dispose();
        _app?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _peer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _app = null;
        _peer = null;
    }

    [Benchmark(Baseline = true)]
    public int RawSocketChat() => RoundTrip();

    [Benchmark]
    public int ManagedWebSocket() => RoundTrip();

    [Benchmark]
    public int Kestrel() => RoundTrip();

    private int RoundTrip()
    {
        _socket.Send(_frame);
        int received = 0;
        while (received < _expected)
        {
            int n = _socket.Receive(_response.AsSpan(received));
            if (n == 0)
                throw new IOException("server closed the connection");
            received += n;
        }
        return received;
    }
}
