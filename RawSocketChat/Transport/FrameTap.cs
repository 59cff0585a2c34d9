using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using RawSocketChat.Http;
using RawSocketChat.Protocol;

namespace RawSocketChat.Transport;

/// <summary>
/// What the frame inspector shows of one connection that asked to be inspected: the opening handshake, every frame
/// in both directions as its bytes crossed the socket — cut into frames by <see cref="FrameHeader.TryParse(ReadOnlySpan{byte}, out FrameHeader, out int, out ProtocolError)"/>,
/// the header parser the receiver itself uses — and what the receiver concluded from them (a message, a ping, a
/// failure with its close code). Each report is one JSON text message to the watcher.
/// <para>
/// The tap only reads: the connection's bytes go to the socket and the receiver exactly as they would without it.
/// Bounded: a frame is described by its header and at most <see cref="PreviewBytes"/> of its payload, whatever its
/// size, and at most <see cref="ReportsPerSecond"/> reports a second go out (the rest are counted, and the count is
/// reported); what the watcher does not read is bounded by its own connection's send buffer limit.
/// </para>
/// </summary>
public sealed class FrameTap
{
    public const int PreviewBytes = 64;
    public const int ReportsPerSecond = 200;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Func<byte[], bool> _report;
    private readonly Splitter _in = new("in");
    private readonly Splitter _out = new("out");
    private readonly bool _compression;
    private readonly object _budgetLock = new();
    private readonly Func<long> _clock;
    private long _windowStart;
    private int _reportsInWindow;
    private int _skipped;

    /// <param name="report">Sends one JSON report to the watcher; false once the watcher is gone.</param>
    /// <param name="compression">permessage-deflate was agreed: RSV1 means "compressed".</param>
    /// <param name="clock">Milliseconds, for the report budget (tests pass their own).</param>
    public FrameTap(Func<byte[], bool> report, bool compression, Func<long>? clock = null)
    {
        _report = report;
        _compression = compression;
        _clock = clock ?? (static () => Environment.TickCount64);
        _windowStart = _clock();
    }

    /// <summary>The opening handshake as the server parsed and answered it, with the accept key computed step by step.</summary>
    public void Handshake(HttpRequest request, HttpResponse response)
    {
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(request.Target)
            .Append(" HTTP/").Append(request.VersionMajor).Append('.').Append(request.VersionMinor).Append("\r\n");
        foreach ((string name, string value) in request.Headers)
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        var written = new ArrayBufferWriter<byte>(256);
        response.WriteTo(written, headOnly: true);

        string key = request.Get("Sec-WebSocket-Key") ?? "";
        byte[] sha1 = SHA1.HashData(Encoding.ASCII.GetBytes(key + Http.Handshake.KeyGuid));
        Report(false, w =>
        {
            w.WriteString("type"u8, "handshake");
            w.WriteString("request"u8, head.ToString());
            w.WriteString("response"u8, Encoding.ASCII.GetString(written.WrittenSpan));
            w.WriteString("key"u8, key);
            w.WriteString("guid"u8, Http.Handshake.KeyGuid);
            w.WriteString("sha1"u8, Convert.ToHexStringLower(sha1));
            w.WriteString("accept"u8, Convert.ToBase64String(sha1));
        });
    }

    /// <summary>Bytes read from the socket (or injected by the inspector, as if the client had sent them).</summary>
    public void Received(in ReadOnlySequence<byte> bytes, bool injected = false)
    {
        foreach (ReadOnlyMemory<byte> segment in bytes)
            _in.Feed(segment.Span, this, injected);
    }

    /// <summary>Bytes about to be written to the socket: our frames.</summary>
    public void Sent(ReadOnlySpan<byte> bytes) => _out.Feed(bytes, this, injected: false);

    /// <summary>What the receiver made of the bytes: one event per result that is not "need more data".</summary>
    public void Parsed(in ReceiveResult result)
    {
        ReceiveResult r = result;
        Report(false, w =>
        {
            w.WriteString("type"u8, "parsed");
            w.WriteString("event"u8, r.Status switch
            {
                ReceiveStatus.Message => "message",
                ReceiveStatus.Ping => "ping",
                ReceiveStatus.Pong => "pong",
                ReceiveStatus.Close => "close",
                _ => "failed",
            });
            if (r.Status is ReceiveStatus.Message)
            {
                w.WriteString("opcode"u8, OpcodeName(r.Opcode));
                w.WriteNumber("length"u8, r.Payload.Length);
                WritePreview(w, r.Payload.Span, r.Opcode == Opcode.Text);
            }
            if (r.Status is ReceiveStatus.Close or ReceiveStatus.Failed)
            {
                w.WriteNumber("code"u8, r.CloseCode);
                w.WriteString("reason"u8, r.CloseReason ?? "");
            }
            if (r.Status is ReceiveStatus.Failed)
                w.WriteString("error"u8, r.Error.ToString());
        });
    }

    /// <summary>The connection ended: how, and who began it.</summary>
    public void Closed(ushort code, string reason, string by) =>
        Report(true, w =>
        {
            w.WriteString("type"u8, "closed");
            w.WriteNumber("code"u8, code);
            w.WriteString("reason"u8, reason);
            w.WriteString("by"u8, by);
        });

    private void Report(bool always, Action<Utf8JsonWriter> write)
    {
        int skipped = 0;
        lock (_budgetLock)
        {
            long now = _clock();
            if (now - _windowStart >= 1000)
            {
                _windowStart = now;
                _reportsInWindow = 0;
            }
            if (!always && _reportsInWindow >= ReportsPerSecond)
            {
                _skipped++;
                return;
            }
            _reportsInWindow++;
            (skipped, _skipped) = (_skipped, 0);
        }
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            write(w);
            if (skipped > 0)
                w.WriteNumber("skippedBefore"u8, skipped); // reports left out since the last one, over the budget
            w.WriteEndObject();
        }
        _report(buffer.WrittenSpan.ToArray());
    }

    private void ReportFrame(string direction, bool injected, in FrameHeader header, ReadOnlySpan<byte> headerBytes,
        ReadOnlySpan<byte> wire, bool truncated)
    {
        FrameHeader h = header;
        byte[] headerCopy = headerBytes.ToArray(), wireCopy = wire.ToArray();
        Report(false, w =>
        {
            w.WriteString("type"u8, "frame");
            w.WriteString("dir"u8, direction);
            if (injected)
                w.WriteBoolean("injected"u8, true);
            w.WriteBoolean("fin"u8, h.Fin);
            w.WriteBoolean("rsv1"u8, (h.Rsv & FrameHeader.Rsv1) != 0);
            w.WriteBoolean("rsv2"u8, (h.Rsv & FrameHeader.Rsv2) != 0);
            w.WriteBoolean("rsv3"u8, (h.Rsv & FrameHeader.Rsv3) != 0);
            w.WriteNumber("opcode"u8, (int)h.Opcode);
            w.WriteString("opname"u8, OpcodeName(h.Opcode));
            w.WriteBoolean("masked"u8, h.Masked);
            w.WriteNumber("length"u8, h.PayloadLength);
            // RFC 6455 §5.2: 0–125 in the 7 bits; 126 then 16 bits; 127 then 64 bits.
            w.WriteString("lengthForm"u8, FrameHeader.ExtendedLengthBytes(h.PayloadLength) switch { 0 => "7-bit", 2 => "16-bit", _ => "64-bit" });
            if (h.Masked)
            {
                Span<byte> key = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(key, h.MaskKey); // kept in wire order (FrameHeader)
                w.WriteString("maskKey"u8, Hex(key));
            }
            w.WriteBoolean("compressed"u8, _compression && (h.Rsv & FrameHeader.Rsv1) != 0);
            w.WriteString("header"u8, Hex(headerCopy));
            w.WriteString("wire"u8, Hex(wireCopy));
            byte[] data = wireCopy;
            if (h.Masked)
            {
                data = new byte[wireCopy.Length];
                Masking.Apply(wireCopy, data, h.MaskKey, 0);
            }
            bool isText = h.Opcode == Opcode.Text || (h.Opcode == Opcode.Continuation && !truncated);
            WritePreview(w, data, isText && !(_compression && (h.Rsv & FrameHeader.Rsv1) != 0), wireHex: false);
            if (h.Opcode == Opcode.Close && data.Length >= 2)
            {
                w.WriteNumber("closeCode"u8, BinaryPrimitives.ReadUInt16BigEndian(data));
                w.WriteString("closeReason"u8, Encoding.UTF8.GetString(data.AsSpan(2)));
            }
            w.WriteBoolean("truncated"u8, truncated);
        });
    }

    private void ReportUnreadable(string direction, ReadOnlySpan<byte> bytes, ProtocolError error)
    {
        byte[] copy = bytes.ToArray();
        Report(false, w =>
        {
            w.WriteString("type"u8, "frame");
            w.WriteString("dir"u8, direction);
            w.WriteString("header"u8, Hex(copy));
            w.WriteString("error"u8, error.ToString());
        });
    }

    private static void WritePreview(Utf8JsonWriter w, ReadOnlySpan<byte> payload, bool text, bool wireHex = true)
    {
        ReadOnlySpan<byte> shown = payload[..Math.Min(payload.Length, PreviewBytes)];
        w.WriteString(wireHex ? "hex"u8 : "data"u8, Hex(shown));
        if (text)
            w.WriteString("text"u8, Encoding.UTF8.GetString(shown)); // a cut character shows as U+FFFD, which is honest
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var s = new StringBuilder(bytes.Length * 3);
        foreach (byte b in bytes)
            s.Append(s.Length == 0 ? "" : " ").Append(b.ToString("x2"));
        return s.ToString();
    }

    internal static string OpcodeName(Opcode opcode) =>
        opcode.IsDefined() ? opcode.ToString().ToLowerInvariant() : $"reserved 0x{(int)opcode:x}";

    /// <summary>
    /// Cuts one direction's byte stream into frames, however the reads split it: a header is collected until
    /// <see cref="FrameHeader.TryParse(ReadOnlySpan{byte}, out FrameHeader, out int, out ProtocolError)"/> has it
    /// whole, then the payload is counted through, keeping the first bytes for the report.
    /// </summary>
    private sealed class Splitter(string direction)
    {
        private readonly byte[] _header = new byte[FrameHeader.MaxLength];
        private int _headerLength;
        private FrameHeader _frame;
        private int _frameHeaderLength;
        private long _remaining = -1; // payload bytes still to come; -1 while reading a header
        private readonly byte[] _preview = new byte[PreviewBytes];
        private int _previewLength;
        private bool _injected;
        private bool _lost; // a header that does not parse: the receiver fails the connection; nothing after is framed

        public void Feed(ReadOnlySpan<byte> bytes, FrameTap tap, bool injected)
        {
            while (!bytes.IsEmpty && !_lost)
            {
                if (_remaining < 0)
                {
                    int take = Math.Min(bytes.Length, _header.Length - _headerLength);
                    bytes[..take].CopyTo(_header.AsSpan(_headerLength));
                    int had = _headerLength;
                    _headerLength += take;
                    if (!FrameHeader.TryParse(_header.AsSpan(0, _headerLength), out _frame, out _frameHeaderLength, out ProtocolError error))
                    {
                        if (error != ProtocolError.None)
                        {
                            tap.ReportUnreadable(direction, _header.AsSpan(0, _headerLength), error);
                            _lost = true;
                            return;
                        }
                        bytes = bytes[take..]; // all of it went into the header, which is still incomplete
                        continue;
                    }
                    // The header may have taken payload bytes with it: give them back.
                    bytes = bytes[(_frameHeaderLength - had)..];
                    _headerLength = 0;
                    _remaining = _frame.PayloadLength;
                    _previewLength = 0;
                    _injected = injected;
                }
                int payload = (int)Math.Min(bytes.Length, _remaining);
                int keep = Math.Min(payload, PreviewBytes - _previewLength);
                bytes[..keep].CopyTo(_preview.AsSpan(_previewLength));
                _previewLength += keep;
                _remaining -= payload;
                bytes = bytes[payload..];
                if (_remaining == 0)
                {
                    // The header's own bytes are still at the start of _header: the next header has not begun.
                    tap.ReportFrame(direction, _injected, _frame, _header.AsSpan(0, _frameHeaderLength), _preview.AsSpan(0, _previewLength),
                        truncated: _frame.PayloadLength > _previewLength);
                    _remaining = -1;
                }
            }
        }
    }
}
