using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RawSocketChat.Protocol;

/// <summary>
/// RFC 6455 §5.3: every byte i of a client's payload is XORed with byte (i mod 4) of the 32-bit masking key.
/// <para>
/// The mask key is held as a little-endian <see cref="uint"/> so that key byte j is <c>(key &gt;&gt; 8j) &amp; 0xFF</c>.
/// When a payload arrives in pieces, <c>maskOffset</c> says where in the key the next byte starts; rotating the key
/// by that many bytes lets every chunk be processed as if it started at key byte 0. Because 32, 16 and 8 are all
/// multiples of 4, a vector of repeated keys stays in phase across the whole loop.
/// </para>
/// </summary>
public static class Masking
{
    /// <summary>Masks or unmasks <paramref name="data"/> in place (XOR is its own inverse). Returns the next mask offset.</summary>
    public static int Apply(Span<byte> data, uint maskKey, int maskOffset) => Apply(data, data, maskKey, maskOffset);

    /// <summary>
    /// XORs <paramref name="source"/> into <paramref name="destination"/> (same length; they may be the same memory
    /// but must not otherwise overlap). Returns the mask offset for the byte after the last one processed.
    /// </summary>
    public static int Apply(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey, int maskOffset)
    {
        int length = source.Length;
        if (destination.Length < length)
            throw new ArgumentException("Destination is shorter than source.", nameof(destination));

        uint key = BitOperations.RotateRight(maskKey, (maskOffset & 3) * 8);
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint i = 0;
        nuint n = (nuint)length;

        if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> mask = Vector256.Create(key).AsByte();
            nuint last = n - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
                (Vector256.LoadUnsafe(ref src, i) ^ mask).StoreUnsafe(ref dst, i);
        }

        if (Vector128.IsHardwareAccelerated && n - i >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> mask = Vector128.Create(key).AsByte();
            nuint last = n - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
                (Vector128.LoadUnsafe(ref src, i) ^ mask).StoreUnsafe(ref dst, i);
        }

        if (n - i >= 8)
        {
            ulong mask = key | ((ulong)key << 32);
            for (; i + 8 <= n; i += 8)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i)) ^ mask);
        }

        // Scalar tail: fewer than 8 bytes, still in phase with the key because i is a multiple of 4.
        for (; i < n; i++)
            Unsafe.Add(ref dst, i) = (byte)(Unsafe.Add(ref src, i) ^ (byte)(key >> (int)((i & 3) * 8)));

        return (maskOffset + length) & 3;
    }

    /// <summary>The byte-at-a-time definition from RFC 6455 §5.3, kept as the reference the vectorized code is tested against.</summary>
    public static int ApplyScalar(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey, int maskOffset)
    {
        for (int i = 0; i < source.Length; i++)
        {
            int j = (maskOffset + i) & 3;
            destination[i] = (byte)(source[i] ^ (byte)(maskKey >> (j * 8)));
        }
        return (maskOffset + source.Length) & 3;
    }
}
