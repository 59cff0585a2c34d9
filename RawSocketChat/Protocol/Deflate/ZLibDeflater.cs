using System.IO.Compression;
using System.Runtime.InteropServices;

namespace RawSocketChat.Protocol.Deflate;

/// <summary>
/// Raw DEFLATE with a window smaller than 32 KiB, through the system's zlib (<c>libz.so.1</c>, on every Linux):
/// what <see cref="DeflateStream"/> cannot do, since its window is fixed at 15 bits. RFC 7692 §7.1.2.1 lets a
/// client ask for <c>server_max_window_bits</c> from 8 to 15 (a device that cannot spare 32 KiB to inflate with);
/// zlib's <c>deflateInit2</c> takes the window as <c>-windowBits</c> for raw DEFLATE (no zlib header, RFC 1951).
/// <para>
/// The one file with pointers: the <c>z_stream</c> lives in native memory, because zlib keeps a pointer to it and
/// checks it on every call, and input and output are pinned only for the duration of one <c>deflate</c> call.
/// The layout below is zlib's on 64-bit Unix (LP64: <c>uLong</c> is 64 bits), the only place it is loaded.
/// </para>
/// <para>
/// zlib cannot compress with an 8-bit window: <c>deflateInit2</c> refuses it for raw DEFLATE, and older versions
/// quietly used 9, whose 512-byte distances a peer inflating with exactly 256 bytes rejects (madler/zlib#171).
/// So 9 is the smallest window here; see <see cref="DeflateParameters.ServerCompresses"/> for what 8 means.
/// </para>
/// </summary>
internal sealed unsafe partial class ZLibDeflater : IDisposable
{
    public const int MinWindowBits = 9;

    private const string Library = "libz.so.1";
    private const int Z_OK = 0, Z_BUF_ERROR = -5, Z_SYNC_FLUSH = 2, Z_DEFLATED = 8, Z_DEFAULT_STRATEGY = 0;
    // memLevel sizes zlib's hash table and symbol buffer (2^(memLevel+9) bytes together, 256 KiB at its default of
    // 8), which would dwarf a small window. Scaled with it, as python-websockets advises (12 bits, memLevel 5): a
    // client asking for a small window gets a compressor that is small all through. It is faster too: zlib slides
    // its window every 2^windowBits bytes and rescans the whole hash table each time (docs/framing.md has the cost).
    private static int MemLevel(int windowBits) => Math.Clamp(windowBits - 7, 1, 8);
    private const int OutputChunk = 4096;

    private ZStream* _stream;

    /// <summary>True where the system zlib can be loaded (Linux); elsewhere only the 15-bit window is offered.</summary>
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && NativeLibrary.TryLoad(Library, out _);

    public ZLibDeflater(int windowBits, CompressionLevel level)
    {
        if (windowBits is < MinWindowBits or > DeflateParameters.MaxWindowBits)
            throw new ArgumentOutOfRangeException(nameof(windowBits), windowBits, "zlib compresses with 9 to 15 bits");
        _stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        int result = deflateInit2_(_stream, ZLibLevel(level), Z_DEFLATED, -windowBits, MemLevel(windowBits), Z_DEFAULT_STRATEGY, zlibVersion(), sizeof(ZStream));
        if (result != Z_OK)
        {
            NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException($"zlib deflateInit2 failed ({result})");
        }
    }

    /// <summary>
    /// Compresses <paramref name="message"/> and ends with a sync flush (the <c>00 00 ff ff</c> empty stored block),
    /// writing the output to <paramref name="sink"/> in chunks. The stream stays open: the next message may refer
    /// back to this one (context takeover).
    /// </summary>
    public void Compress(ReadOnlySpan<byte> message, Stream sink)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        Span<byte> chunk = stackalloc byte[OutputChunk];
        fixed (byte* input = message)
        fixed (byte* output = chunk)
        {
            _stream->NextIn = input;
            _stream->AvailIn = (uint)message.Length;
            do
            {
                _stream->NextOut = output;
                _stream->AvailOut = OutputChunk;
                // Z_SYNC_FLUSH: all input consumed and all output emitted, byte-aligned, when avail_out is left > 0.
                // Z_BUF_ERROR only says that a call could make no progress, which the last one may legitimately.
                int result = deflate(_stream, Z_SYNC_FLUSH);
                if (result is not (Z_OK or Z_BUF_ERROR))
                    throw new InvalidOperationException($"zlib deflate failed ({result})");
                sink.Write(chunk[..(OutputChunk - (int)_stream->AvailOut)]);
            } while (_stream->AvailOut == 0);
            _stream->NextIn = _stream->NextOut = null; // nothing points into memory that is about to be unpinned
        }
    }

    public void Dispose()
    {
        if (_stream is null)
            return;
        deflateEnd(_stream);
        NativeMemory.Free(_stream);
        _stream = null;
    }

    private static int ZLibLevel(CompressionLevel level) => level switch
    {
        CompressionLevel.NoCompression => 0,
        CompressionLevel.Fastest => 1,
        CompressionLevel.SmallestSize => 9,
        _ => 6, // Optimal: zlib's own default
    };

    /// <summary><c>z_stream</c> from zlib.h, LP64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public nuint TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public nuint TotalOut;
        public byte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public nuint Adler;
        public nuint Reserved;
    }

    [LibraryImport(Library)]
    private static partial byte* zlibVersion();

    [LibraryImport(Library)]
    private static partial int deflateInit2_(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy, byte* version, int streamSize);

    [LibraryImport(Library)]
    private static partial int deflate(ZStream* stream, int flush);

    [LibraryImport(Library)]
    private static partial int deflateEnd(ZStream* stream);
}
