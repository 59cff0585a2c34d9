using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Support;

/// <summary>
/// A deliberately dumb WebSocket client on a bare <see cref="TcpClient"/>: it sends exactly the bytes a test asks for
/// (well-formed or not) and reads back whatever the server puts on the wire. Wire-level behaviour (status lines,
/// Close codes, the moment the server drops TCP) is tested with it; nothing is hidden by a library being polite.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    /// <summary>The key from the example in RFC 6455 §1.3; its accept value is <see cref="SampleAccept"/>.</summary>
    public const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
    public const string SampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>How long a read waits unless told otherwise: generous, so a slow CI machine never fails a test.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    // Bytes received but not consumed yet, in _buffer[_start.._end].
    private byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;
    private bool _eof;
    private uint _nextMaskKey = 0x3D21FA37; // the key of the RFC 6455 §5.7 examples, then varied per frame

    private RawClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public Socket Socket => _tcp.Client;

    /// <summary>
    /// When set, reads are paced to about this many bytes per second (a slow link or a busy phone), in reads of a
    /// sixteenth of a second's worth; the kernel's receive buffer fills and the server's writes slow down.
    /// </summary>
    public int? ReadBytesPerSecond { get; set; }

    /// <summary>True when the connection ended with a TCP reset (RST) rather than an orderly FIN.</summary>
    public bool ClosedByReset { get; private set; }

    /// <summary>Opens a TCP connection. A small <paramref name="receiveBufferSize"/> makes a non-reading client's kernel buffer fill fast.</summary>
    public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint, int? receiveBufferSize = null)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        if (receiveBufferSize is { } size)
            tcp.Client.ReceiveBufferSize = size; // set before connecting so the TCP window is negotiated with it
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await tcp.ConnectAsync(endPoint, timeout.Token);
        return new RawClient(tcp);
    }

    /// <summary>Connects and completes a valid opening handshake; fails the test unless the server answers 101.</summary>
    public static async Task<RawClient> OpenAsync(TestServer server, string path = "/echo", int? receiveBufferSize = null)
    {
        RawClient client = await ConnectAsync(server.EndPoint, receiveBufferSize);
        HttpHead response = await client.HandshakeAsync(UpgradeRequest(path));
        Assert.True(response.StatusCode == 101, $"expected 101, got: {response.StatusLine}");
        return client;
    }

    /// <summary>
    /// A valid upgrade request (RFC 6455 §4.1) for <paramref name="path"/>; <paramref name="extraHeaders"/> are
    /// complete header lines such as <c>"Origin: http://example.com"</c>.
    /// </summary>
    public static string UpgradeRequest(string path = "/echo", string key = SampleKey, params string[] extraHeaders)
    {
        var text = new StringBuilder();
        text.Append("GET ").Append(path).Append(" HTTP/1.1\r\n");
        text.Append("Host: 127.0.0.1\r\n");
        text.Append("Upgrade: websocket\r\n");
        text.Append("Connection: Upgrade\r\n");
        text.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        text.Append("Sec-WebSocket-Version: 13\r\n");
        foreach (string header in extraHeaders)
            text.Append(header).Append("\r\n");
        text.Append("\r\n");
        return text.ToString();
    }

    /// <summary>Sends <paramref name="requestHead"/> as it is and reads the response head (and body, if any).</summary>
    public async Task<HttpHead> HandshakeAsync(string requestHead, TimeSpan? timeout = null)
    {
        await SendRawAsync(Encoding.Latin1.GetBytes(requestHead));
        return await ReadResponseAsync(timeout);
    }

    /// <summary>
    /// Reads one HTTP response: the head up to the blank line, then <c>Content-Length</c> bytes of body. Throws
    /// <see cref="EndOfStreamException"/> if the server closes before a whole head arrived.
    /// </summary>
    public async Task<HttpHead> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        int headEnd;
        while ((headEnd = Buffered.IndexOf("\r\n\r\n"u8)) < 0)
            await FillOrThrowAsync(cts.Token, "a complete HTTP response head");

        string head = Encoding.Latin1.GetString(Buffered[..headEnd]);
        _start += headEnd + 4;
        string[] lines = head.Split("\r\n");
        string statusLine = lines[0];
        string[] parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out int status))
            throw new InvalidDataException($"not an HTTP/1.x status line: '{statusLine}'");

        var headers = new List<KeyValuePair<string, string>>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
                throw new InvalidDataException($"malformed header line: '{line}'");
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        byte[] body = [];
        string? contentLength = headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        if (status != 101 && contentLength is not null)
        {
            int length = int.Parse(contentLength, System.Globalization.CultureInfo.InvariantCulture);
            while (_end - _start < length)
                await FillOrThrowAsync(cts.Token, $"a {length}-byte response body");
            body = Buffered[..length].ToArray();
            _start += length;
        }
        return new HttpHead(status, statusLine, headers, body);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(DefaultTimeout);
        await _stream.WriteAsync(bytes, cts.Token);
    }

    /// <summary>Encodes one client frame, masked as RFC 6455 §5.1 requires of clients.</summary>
    public byte[] MaskedFrame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0)
    {
        var frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
        uint key = _nextMaskKey;
        _nextMaskKey = _nextMaskKey * 1_103_515_245 + 12_345; // a different key each frame, as a real client uses
        FrameWriter.WriteMaskedFrame(frame, opcode, payload, key, fin, rsv);
        return frame;
    }

    public Task SendFrameAsync(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0) =>
        SendRawAsync(MaskedFrame(opcode, payload, fin, rsv));

    public Task SendTextAsync(string text, bool fin = true) => SendFrameAsync(Opcode.Text, Encoding.UTF8.GetBytes(text), fin);

    /// <summary>Sends a Close frame with a status code and a reason (§5.5.1).</summary>
    public Task SendCloseAsync(ushort code, string reason = "") => SendFrameAsync(Opcode.Close, CloseBody(code, Encoding.UTF8.GetBytes(reason)));

    public static byte[] CloseBody(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var body = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(body, code);
        reason.CopyTo(body.AsSpan(2));
        return body;
    }

    /// <summary>
    /// Reads the next frame the server sent. Throws <see cref="TimeoutException"/> if none arrives in time and
    /// <see cref="EndOfStreamException"/> if the server closed TCP first.
    /// </summary>
    public async Task<ServerFrame> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        FrameHeader header;
        int headerLength;
        while (true)
        {
            if (FrameHeader.TryParse(Buffered, out header, out headerLength, out ProtocolError error))
                break;
            if (error != ProtocolError.None)
                throw new InvalidDataException($"the server sent a malformed frame header: {error}");
            await FillOrThrowAsync(cts.Token, "a frame header");
        }

        if (header.PayloadLength > 64 * 1024 * 1024)
            throw new InvalidDataException($"the server sent a frame of {header.PayloadLength} bytes");
        int total = headerLength + (int)header.PayloadLength;
        while (_end - _start < total)
            await FillOrThrowAsync(cts.Token, $"a {header.PayloadLength}-byte frame payload");

        byte[] payload = Buffered.Slice(headerLength, (int)header.PayloadLength).ToArray();
        if (header.Masked)
            Masking.Apply(payload, header.MaskKey, 0);
        _start += total;
        return new ServerFrame(header.Fin, header.Rsv, header.Opcode, header.Masked, payload);
    }

    /// <summary>Reads the next frame that is not a Ping or Pong (heartbeats are skipped, not answered).</summary>
    public async Task<ServerFrame> ReadDataFrameAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            ServerFrame frame = await ReadFrameAsync(timeout);
            if (frame.Opcode is not (Opcode.Ping or Opcode.Pong))
                return frame;
        }
    }

    /// <summary>
    /// Waits for the server to close TCP and returns every byte that arrived before (already buffered ones included).
    /// A reset counts as closed. Throws <see cref="TimeoutException"/> if the connection is still open at the deadline.
    /// </summary>
    public async Task<byte[]> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var all = new MemoryStream();
        while (true)
        {
            all.Write(Buffered);
            _start = _end;
            if (_eof || !await FillAsync(cts.Token))
                return all.ToArray();
        }
    }

    /// <summary>
    /// The end of a connection the server failed or closed: the next frame is a Close with <paramref name="code"/>
    /// (RFC 6455 §7.1.7), and then the server closes TCP (§7.1.1).
    /// </summary>
    public async Task<ServerFrame> AssertClosedWithAsync(ushort code, TimeSpan? timeout = null)
    {
        ServerFrame close = await ReadFrameAsync(timeout);
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal(code, close.CloseCode);
        await AssertServerClosesTcpAsync(timeout);
        return close;
    }

    public async Task AssertServerClosesTcpAsync(TimeSpan? timeout = null)
    {
        byte[] extra = await ReadUntilClosedAsync(timeout);
        Assert.True(extra.Length == 0, $"expected TCP close, but {extra.Length} more byte(s) arrived first: {Convert.ToHexString(extra.AsSpan(0, Math.Min(extra.Length, 32)))}");
    }

    private ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    private async Task FillOrThrowAsync(CancellationToken cancellationToken, string waitingFor)
    {
        if (!await FillAsync(cancellationToken))
            throw new EndOfStreamException($"the server closed the connection while the client waited for {waitingFor} ({_end - _start} byte(s) buffered)");
    }

    /// <summary>Reads more bytes into the buffer; false when the server closed (or reset) the connection.</summary>
    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_eof)
            return false;
        if (_start > 0)
        {
            Buffered.CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);

        int n;
        try
        {
            Memory<byte> into = _buffer.AsMemory(_end);
            if (ReadBytesPerSecond is { } rate)
                into = into[..Math.Min(into.Length, Math.Max(1, rate / 16))];
            n = await _stream.ReadAsync(into, cancellationToken);
            if (ReadBytesPerSecond is { } pace && n > 0)
                await Task.Delay(TimeSpan.FromSeconds((double)n / pace), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no data from the server in time ({_end - _start} byte(s) buffered)");
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            n = 0; // the server dropped the connection with unread data in its buffer: a reset is still "closed"
            ClosedByReset = true;
        }
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _end += n;
        return true;
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>An HTTP response head as the client saw it; header names are matched case-insensitively.</summary>
public sealed record HttpHead(int StatusCode, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>
    /// RFC 6455 §4.2.2: the accept value a correct server computes for <paramref name="key"/>. The GUID is spelled out
    /// here rather than taken from the server, so a typo there cannot hide.
    /// </summary>
    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
}

/// <summary>One frame as the server put it on the wire.</summary>
public sealed record ServerFrame(bool Fin, byte Rsv, Opcode Opcode, bool Masked, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>For a Close frame: the status code, or 1005 when the body is empty (§7.1.5).</summary>
    public ushort CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : RawSocketChat.Protocol.CloseCode.NoStatusReceived;

    public string CloseReason => Payload.Length > 2 ? Encoding.UTF8.GetString(Payload.AsSpan(2)) : "";

    public override string ToString() => Opcode == Opcode.Close
        ? $"Close({CloseCode}, \"{CloseReason}\")"
        : $"{Opcode}(fin={Fin}, {Payload.Length} bytes)";
}
