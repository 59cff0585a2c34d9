using System.Buffers;
using System.IO.Compression;

namespace RawSocketChat.Protocol.Deflate;

/// <summary>
/// Compresses outgoing messages for permessage-deflate (RFC 7692 §7.2.1), with no I/O: a message in, the payload of
/// its compressed frame out.
/// <code>
///   "Hello"  ──DEFLATE──▶  f2 48 cd c9 c9 07 00 │ 00 00 ff ff   ──strip tail──▶  f2 48 cd c9 c9 07 00
///                          └ compressed block ┘ └ empty stored block (sync flush) ┘
/// </code>
/// <para>
/// RFC 7692 §7.2.1: "1. Compress all the octets of the payload of the message using DEFLATE. 2. If the resulting
/// data does not end with an empty DEFLATE block with no compression (the "BTYPE" bits are set to 00), append an
/// empty DEFLATE block with no compression to the tail end. 3. Remove 4 octets (that are 0x00 0x00 0xff 0xff) from
/// the tail end." A zlib sync flush (<see cref="DeflateStream.Flush"/>) ends in exactly that empty stored block, so
/// step 2 never has to add one; <see cref="TailStrippingSink"/> holds back the last four bytes written and checks them.
/// </para>
/// <para>
/// With context takeover, one <see cref="DeflateStream"/> lives as long as the connection, and each message may refer
/// back to the previous ones (32 KiB window). Its zlib state costs about 230–340 KiB of native memory, so it is
/// created at the first compressed message, not at the handshake. Without context takeover
/// (<c>server_no_context_takeover</c>) a fresh stream compresses each message and is freed right after: DeflateStream
/// has no public way to reset its dictionary.
/// </para>
/// <para>
/// A client may ask for a smaller window (RFC 7692 §7.1.2.1, <c>server_max_window_bits</c> 9–14), which
/// DeflateStream cannot give: those connections compress through the system zlib (<see cref="ZLibDeflater"/>),
/// with the same life cycle. The default, 15 bits, stays on DeflateStream.
/// </para>
/// <para>
/// Compression is order-dependent: callers must compress the messages of one connection one at a time, in the order
/// their frames go on the wire (the connection does it under its send lock).
/// </para>
/// </summary>
public sealed class MessageDeflater : IDisposable
{
    private readonly bool _noContextTakeover;
    private readonly CompressionLevel _level;
    private readonly int _windowBits;
    private readonly TailStrippingSink _sink = new();
    private DeflateStream? _deflate;  // 15 bits
    private ZLibDeflater? _zlib;      // 9 to 14 bits
    private bool _disposed;

    /// <param name="windowBits">The LZ77 window, 9 to 15 bits: <c>server_max_window_bits</c> as agreed.</param>
    public MessageDeflater(bool noContextTakeover, CompressionLevel level = CompressionLevel.Fastest, int windowBits = DeflateParameters.MaxWindowBits)
    {
        if (windowBits is < ZLibDeflater.MinWindowBits or > DeflateParameters.MaxWindowBits)
            throw new ArgumentOutOfRangeException(nameof(windowBits), windowBits, "must be from 9 to 15");
        if (windowBits < DeflateParameters.MaxWindowBits && !ZLibDeflater.IsAvailable)
            throw new PlatformNotSupportedException("a window below 15 bits needs the system zlib (libz.so.1)");
        _noContextTakeover = noContextTakeover;
        _level = level;
        _windowBits = windowBits;
    }

    /// <summary>True while zlib state (window and hash tables) is kept between messages.</summary>
    public bool HoldsState => _deflate is not null || _zlib is not null;

    /// <summary>
    /// Appends the compressed form of <paramref name="message"/> to <paramref name="output"/>, without the
    /// <c>00 00 ff ff</c> tail. Never empty: an empty message is the single byte <c>00</c> (RFC 7692 §7.2.3.6).
    /// </summary>
    public void Compress(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _sink.Start(output);
        if (_windowBits < DeflateParameters.MaxWindowBits)
        {
            (_zlib ??= new ZLibDeflater(_windowBits, _level)).Compress(message, _sink);
        }
        else
        {
            _deflate ??= new DeflateStream(_sink, _level, leaveOpen: true);
            _deflate.Write(message);
            // Z_SYNC_FLUSH: emit everything written so far and byte-align with an empty stored block, without ending
            // the DEFLATE stream, so that the next message may continue it (context takeover: RFC 7692 §7.2.1
            // [7692-7.2.1-takeover], "the server MAY take over the LZ77 sliding window").
            _deflate.Flush();
        }
        _sink.Finish();

        // RFC 7692 §7.1.1.1, §7.2.1 [7692-7.2.1-server-no-context]: with server_no_context_takeover, the next message
        // must not refer to this one.
        if (_noContextTakeover)
            ReleaseState();
    }

    private void ReleaseState()
    {
        _deflate?.Dispose();
        _deflate = null;
        _zlib?.Dispose();
        _zlib = null;
    }

    public void Dispose()
    {
        _disposed = true;
        ReleaseState();
    }

    /// <summary>
    /// The stream DeflateStream (or ZLibDeflater) writes into: passes bytes on to the caller's buffer writer, always holding back the
    /// last four, which at the end of a message must be the sync-flush tail and are dropped.
    /// </summary>
    private sealed class TailStrippingSink : Stream
    {
        private IBufferWriter<byte>? _target;
        private readonly byte[] _held = new byte[4];
        private int _heldCount;
        private long _total;

        public void Start(IBufferWriter<byte> target)
        {
            _target = target;
            _heldCount = 0;
            _total = 0;
        }

        public void Finish()
        {
            IBufferWriter<byte> target = _target!;
            _target = null;
            if (_total == 0)
            {
                // zlib emits nothing for an empty message right after a flush. The payload cannot be empty: the
                // receiver appends 00 00 ff ff, which is only a block with the header byte before it. That byte, 00
                // (BFINAL=0, BTYPE=00, padding), is what RFC 7692 §7.2.3.6 sends: an empty stored block.
                target.Write<byte>([0x00]);
                return;
            }
            // RFC 7692 §7.2.1 [7692-7.2.1-tail]: the sync flush ended with an empty stored block; its last four bytes,
            // 00 00 ff ff, are the ones held back, and are dropped.
            if (_heldCount != 4 || !_held.AsSpan().SequenceEqual(PerMessageDeflate.Tail))
                throw new InvalidOperationException("zlib's sync flush did not end with 00 00 ff ff");
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            // Outside Compress the only writer is DeflateStream.Dispose, ending the stream with a final block that
            // belongs to no message: dropped.
            if (_target is not { } target)
                return;
            _total += buffer.Length;
            if (buffer.Length >= 4)
            {
                target.Write(_held.AsSpan(0, _heldCount));
                target.Write(buffer[..^4]);
                buffer[^4..].CopyTo(_held);
                _heldCount = 4;
                return;
            }

            // Fewer than four new bytes: join them to the held ones and keep the last four of the lot.
            Span<byte> joined = stackalloc byte[8];
            _held.AsSpan(0, _heldCount).CopyTo(joined);
            buffer.CopyTo(joined[_heldCount..]);
            int length = _heldCount + buffer.Length;
            int emit = Math.Max(0, length - 4);
            target.Write(joined[..emit]);
            joined[emit..length].CopyTo(_held);
            _heldCount = length - emit;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
