using System.Buffers;
using System.IO.Compression;

namespace RawSocketChat.Protocol.Deflate;

/// <summary>
/// Decompresses the messages a peer compressed with permessage-deflate (RFC 7692 §7.2.2), with no I/O and in pieces:
/// compressed bytes are fed as frames arrive, inflated bytes are pulled into whatever room the caller has. The caller
/// decides how much room to give, so a message that inflates past the size limit is stopped there, without inflating
/// the rest (a "zip bomb" of a few kilobytes can expand to gigabytes).
/// <code>
///   Feed(frame 1 payload) … Feed(frame n payload)  FeedEndOfMessage()  EndMessage()
///        │ Inflate(room) until Done                 │ appends 00 00 ff ff  └ forgets the window when no context takeover
/// </code>
/// <para>
/// RFC 7692 §7.2.2: "1. Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the message.
/// 2. Decompress the resulting data using DEFLATE." One <see cref="DeflateStream"/> reads from a <see cref="Source"/>
/// stream that hands it the fed bytes and then reports "no more for now" (0), which makes <c>Read</c> return 0 without
/// ending the DEFLATE stream: the next message continues it (context takeover). A peer that ends a message with a
/// final block (<c>BFINAL=1</c>, RFC 7692 §7.2.3.4) has ended the stream; that is noticed (<c>Read</c> returned 0
/// without asking the source for input) and the next message starts a fresh one.
/// </para>
/// <para>
/// Memory: zlib's inflate state with its 32 KiB window, about 25–45 KiB of native memory, plus an 8 KiB pooled input
/// buffer inside DeflateStream. It is created at the first compressed message and, when the client promised
/// <c>client_no_context_takeover</c>, released after every message.
/// </para>
/// </summary>
public sealed class MessageInflater : IDisposable
{
    private readonly bool _resetAfterEachMessage;
    private readonly Source _source = new();
    private DeflateStream? _inflate;
    private bool _streamEnded;
    private bool _fedThisMessage;
    private bool _disposed;

    /// <param name="noContextTakeover">True when <c>client_no_context_takeover</c> is in force (RFC 7692 §7.1.1.2).</param>
    public MessageInflater(bool noContextTakeover)
    {
        _resetAfterEachMessage = noContextTakeover;
    }

    /// <summary>
    /// False when the app switch <c>System.IO.Compression.UseStrictValidation</c> is on: DeflateStream then treats
    /// "no more input for now" as a truncated stream, and per-frame inflation cannot work. The server turns
    /// permessage-deflate off in that case.
    /// </summary>
    public static bool IsSupported { get; } =
        !(AppContext.TryGetSwitch("System.IO.Compression.UseStrictValidation", out bool strict) && strict);

    /// <summary>True while zlib state (the window) is kept between messages.</summary>
    public bool HoldsState => _inflate is not null;

    /// <summary>
    /// Hands over the next compressed bytes of the current message. They must stay untouched until
    /// <see cref="Inflate"/> has returned <see cref="OperationStatus.Done"/>.
    /// </summary>
    public void Feed(ReadOnlyMemory<byte> compressed)
    {
        _fedThisMessage |= !compressed.IsEmpty;
        _source.Set(compressed);
    }

    /// <summary>
    /// RFC 7692 §7.2.2 step 1 [7692-7.2.2-tail]: appends the <c>00 00 ff ff</c> the sender removed; then inflate until
    /// Done. A compressed message without a single payload byte is taken as empty and gets no tail: alone, those four
    /// bytes are not a DEFLATE block (its header byte is missing) and would leave the window mid-block for the next
    /// message.
    /// </summary>
    public void FeedEndOfMessage()
    {
        if (_fedThisMessage)
            _source.Set(TailBytes);
    }

    private static readonly ReadOnlyMemory<byte> TailBytes = PerMessageDeflate.Tail.ToArray();

    /// <summary>
    /// Inflates fed bytes into <paramref name="destination"/>.
    /// <see cref="OperationStatus.Done"/>: every fed byte is consumed (feed more, or end the message);
    /// <see cref="OperationStatus.DestinationTooSmall"/>: the destination is full and more may follow;
    /// <see cref="OperationStatus.InvalidData"/>: the bytes are not DEFLATE.
    /// </summary>
    public OperationStatus Inflate(Span<byte> destination, out int written)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        written = 0;
        if (_streamEnded)
        {
            // Bytes after a final block within the same message (RFC 7692 §7.2.3.4 shows the sender's trailing 00,
            // and our own appended tail) carry nothing: zlib ignores them, and so do we.
            _source.Clear();
            return OperationStatus.Done;
        }

        // RFC 7692 §7.2.2 [7692-7.2.2-window]: DeflateStream inflates with a 32 KiB window, whatever
        // client_max_window_bits said, so it decodes any window a client may use.
        _inflate ??= new DeflateStream(_source, CompressionMode.Decompress, leaveOpen: true);
        while (written < destination.Length)
        {
            _source.ReportedEmpty = false;
            int n;
            try
            {
                n = _inflate.Read(destination[written..]);
            }
            catch (InvalidDataException)
            {
                return OperationStatus.InvalidData;
            }

            if (n == 0)
            {
                // Read returns 0 either because it asked the source for input and got none (wait for the next frame),
                // or because zlib reached the end of a final block without asking (the peer ended the stream).
                if (!_source.ReportedEmpty)
                {
                    _streamEnded = true;
                    _source.Clear();
                }
                return OperationStatus.Done;
            }
            written += n;
        }
        return OperationStatus.DestinationTooSmall;
    }

    /// <summary>
    /// Called once the tail is inflated. RFC 7692 §7.2.2 [7692-7.2.2-client-no-context]: with
    /// <c>client_no_context_takeover</c> "the server MAY decompress each new message with an empty LZ77 sliding
    /// window", so the zlib state is freed; so it is after a final block, which ended the peer's stream. Otherwise the
    /// window is kept for the next message, as it MUST be [7692-7.2.2-takeover].
    /// </summary>
    public void EndMessage()
    {
        _source.Clear();
        _fedThisMessage = false;
        if (_resetAfterEachMessage || _streamEnded)
            ReleaseState();
    }

    private void ReleaseState()
    {
        _inflate?.Dispose();
        _inflate = null;
        _streamEnded = false;
    }

    public void Dispose()
    {
        _disposed = true;
        ReleaseState();
    }

    /// <summary>The stream DeflateStream reads from: the bytes fed so far, then 0 ("nothing more yet").</summary>
    private sealed class Source : Stream
    {
        private ReadOnlyMemory<byte> _pending;

        /// <summary>Set when a read found nothing to give: DeflateStream wanted input that has not arrived yet.</summary>
        public bool ReportedEmpty { get; set; }

        public void Set(ReadOnlyMemory<byte> bytes)
        {
            if (!_pending.IsEmpty)
                throw new InvalidOperationException("the previous input was not fully inflated");
            _pending = bytes;
        }

        public void Clear() => _pending = default;

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, _pending.Length);
            if (n == 0)
            {
                ReportedEmpty = true;
                return 0;
            }
            _pending.Span[..n].CopyTo(buffer);
            _pending = _pending[n..];
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
