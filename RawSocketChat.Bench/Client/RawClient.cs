using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using RawSocketChat.Http;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Client;

/// <summary>A frame the server sent; its payload is read with <see cref="RawClient.Payload"/> until the next fill.</summary>
internal readonly record struct ServerFrame(Opcode Opcode, bool Fin, int Offset, int Length);

/// <summary>
/// The load generator's WebSocket client, built so that it is never the bottleneck:
/// <list type="bullet">
/// <item>it does the opening handshake itself (RFC 6455 §4.1) on a plain <see cref="Socket"/>;</item>
/// <item>it sends frames masked once in advance: the same bytes go out every time (a real client must pick a fresh
/// mask per frame, §5.3; the server cannot tell, and the generator saves a pass over every payload);</item>
/// <item>it reads into one buffer and parses frames in place: <see cref="TryReadFrame"/> is synchronous and
/// <see cref="FillAsync"/> is one socket read, so a connection's loop allocates nothing per message.</item>
/// </list>
/// </summary>
internal sealed class RawClient : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer;
    private int _start, _end;
    private bool _closed;

    private RawClient(Socket socket, int bufferSize)
    {
        _socket = socket;
        _buffer = new byte[bufferSize];
        MaskKey = (uint)Random.Shared.Next() | 1u;
    }

    public uint MaskKey { get; }
    /// <summary>For callers that drive the socket synchronously after the handshake (the micro-benchmarks).</summary>
    public Socket Socket => _socket;
    public bool IsClosed => _closed;
    public string? Subprotocol { get; private set; }

    public static async Task<RawClient> ConnectAsync(Uri url, string? subprotocol, IPAddress? source, CancellationToken cancellation, int bufferSize = 64 * 1024)
    {
        IPAddress address = url.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.Host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                // IP_BIND_ADDRESS_NO_PORT (Linux, 24): pick the source port at connect time, so binding many sockets to
                // one source address does not run out of ports before connect() would.
                if (OperatingSystem.IsLinux())
                    socket.SetRawSocketOption(0 /* SOL_IP */, 24, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(source, 0));
            }
            await socket.ConnectAsync(new IPEndPoint(address, url.Port), cancellation);
            var client = new RawClient(socket, bufferSize);
            await client.HandshakeAsync(url, subprotocol, cancellation);
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects and upgrades with blocking calls only. A socket that never saw an async operation stays in blocking
    /// mode, and then synchronous <c>Send</c>/<c>Receive</c> allocate nothing (after one async call, .NET emulates
    /// blocking calls with a wait object per call). The micro-benchmarks use it to measure only the server.
    /// </summary>
    public static Socket ConnectBlocking(Uri url)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(new IPEndPoint(IPAddress.Parse(url.Host), url.Port));
        (string key, string request) = BuildRequest(url, null);
        socket.Send(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        int length = 0, headEnd;
        while ((headEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            int n = socket.Receive(buffer.AsSpan(length));
            if (n == 0) throw new IOException("connection closed during the handshake");
            length += n;
        }
        CheckResponse(Encoding.ASCII.GetString(buffer, 0, headEnd).Split("\r\n"), key);
        return socket;
    }

    private static (string Key, string Request) BuildRequest(Uri url, string? subprotocol)
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        string request = $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" +
            (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") + "\r\n";
        return (key, request);
    }

    private static string? CheckResponse(string[] lines, string key)
    {
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            throw new HandshakeRejectedException(lines[0]);
        // RFC 6455 §4.1: the client MUST check Sec-WebSocket-Accept.
        string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Handshake.KeyGuid)));
        string? accept = Header(lines, "Sec-WebSocket-Accept");
        if (accept != expected)
            throw new IOException($"bad Sec-WebSocket-Accept '{accept}'");
        return Header(lines, "Sec-WebSocket-Protocol");
    }

    private async Task HandshakeAsync(Uri url, string? subprotocol, CancellationToken cancellation)
    {
        (string key, string request) = BuildRequest(url, subprotocol);
        await SendAsync(Encoding.ASCII.GetBytes(request), cancellation);

        int headEnd;
        while ((headEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (_end == _buffer.Length)
                throw new IOException("handshake response too long");
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellation);
            if (n == 0)
                throw new IOException("connection closed during the handshake");
            _end += n;
        }
        Subprotocol = CheckResponse(Encoding.ASCII.GetString(_buffer, 0, headEnd).Split("\r\n"), key);
        _start = headEnd + 4; // any bytes after the blank line are already frames
    }

    private static string? Header(string[] lines, string name)
    {
        foreach (string line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }
        return null;
    }

    /// <summary>Builds one masked client frame with this connection's key, ready to be sent as is, any number of times.</summary>
    public byte[] BuildFrame(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
        FrameWriter.WriteMaskedFrame(frame, opcode, payload, MaskKey);
        return frame;
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellation = default)
    {
        while (!bytes.IsEmpty)
        {
            int n = await _socket.SendAsync(bytes, SocketFlags.None, cancellation);
            bytes = bytes[n..];
        }
    }

    /// <summary>
    /// Takes the next complete frame from the buffer, if there is one. Pings are answered here (§5.5.2), a Close
    /// marks the connection closed. Never blocks.
    /// </summary>
    public bool TryReadFrame(out ServerFrame frame)
    {
        while (true)
        {
            frame = default;
            ReadOnlySpan<byte> available = _buffer.AsSpan(_start, _end - _start);
            if (!FrameHeader.TryParse(available, out FrameHeader header, out int headerLength, out ProtocolError error))
            {
                if (error != ProtocolError.None)
                    throw new IOException($"server sent an invalid frame: {error.Describe()}");
                return false;
            }
            if (header.PayloadLength > available.Length - headerLength)
                return false;

            int length = (int)header.PayloadLength;
            frame = new ServerFrame(header.Opcode, header.Fin, _start + headerLength, length);
            _start += headerLength + length;
            switch (header.Opcode)
            {
                case Opcode.Ping:
                    var pong = new byte[FrameWriter.MaskedFrameLength(length)];
                    FrameWriter.WriteMaskedFrame(pong, Opcode.Pong, _buffer.AsSpan(frame.Offset, length), MaskKey);
                    _socket.Send(pong);
                    continue;
                case Opcode.Pong:
                    continue;
                case Opcode.Close:
                    _closed = true;
                    return false;
            }
            return true;
        }
    }

    public ReadOnlySpan<byte> Payload(in ServerFrame frame) => _buffer.AsSpan(frame.Offset, frame.Length);

    /// <summary>Reads more bytes from the socket. Returns false when the server closed the connection.</summary>
    public async ValueTask<bool> FillAsync(CancellationToken cancellation = default)
    {
        if (_closed)
            return false;
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_buffer.Length - _end < 4096 || _start > _buffer.Length / 2)
        {
            // Keep the unfinished frame, move it to the front; grow when one frame is bigger than the buffer.
            int pending = _end - _start;
            int needed = PendingFrameLength();
            byte[] target = needed > _buffer.Length ? new byte[needed * 2] : _buffer;
            _buffer.AsSpan(_start, pending).CopyTo(target);
            _buffer = target;
            _start = 0;
            _end = pending;
        }
        int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellation);
        if (n == 0)
        {
            _closed = true;
            return false;
        }
        _end += n;
        return true;
    }

    private int PendingFrameLength()
    {
        ReadOnlySpan<byte> available = _buffer.AsSpan(_start, _end - _start);
        return FrameHeader.TryParse(available, out FrameHeader header, out int headerLength, out _)
            ? (int)Math.Min(int.MaxValue / 2, headerLength + header.PayloadLength)
            : 0;
    }

    /// <summary>Sends a Close (1000) if the connection is still up, then closes the socket without waiting.</summary>
    public void Close()
    {
        try
        {
            if (!_closed)
            {
                Span<byte> close = stackalloc byte[8];
                Span<byte> code = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(code, CloseCode.NormalClosure);
                int n = FrameWriter.WriteMaskedFrame(close, Opcode.Close, code, MaskKey);
                _socket.Send(close[..n], SocketFlags.None, out _);
            }
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _closed = true;
        _socket.Dispose();
    }

    public void Dispose() => Close();
}

/// <summary>The server answered the upgrade with something other than 101 (e.g. 503 when a limit is reached).</summary>
internal sealed class HandshakeRejectedException(string statusLine) : IOException($"handshake rejected: {statusLine}");
