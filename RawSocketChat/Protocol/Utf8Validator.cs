using System.Text.Unicode;

namespace RawSocketChat.Protocol;

/// <summary>
/// Incremental, fail-fast UTF-8 validation for text messages that arrive in arbitrary pieces.
/// <para>
/// RFC 6455 §8.1: a text message that is not valid UTF-8 fails the connection (1007). Autobahn's strict cases
/// (6.x) expect the failure at the first invalid byte, even mid-message, so we cannot wait for the message to end.
/// </para>
/// <para>
/// Each chunk is split in three: the rest of a code point begun in the previous chunk (checked byte by byte),
/// the bulk (checked by the BCL's vectorized <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>), and a code point
/// left unfinished at the end (checked byte by byte, so an impossible prefix such as <c>F5</c> or <c>ED A0</c>
/// fails now rather than when its next byte arrives). The byte-by-byte rules are the table in RFC 3629 §4.
/// </para>
/// </summary>
public struct Utf8Validator
{
    // All-zero is the initial state, so `default(Utf8Validator)` is ready to use.
    private int _pending;     // continuation bytes still expected for the current code point
    private byte _raiseLower; // the next continuation byte must be ≥ 0x80 + _raiseLower …
    private byte _lowerUpper; // … and ≤ 0xBF − _lowerUpper

    /// <summary>True when no code point is left unfinished: required at the end of a message.</summary>
    public readonly bool IsComplete => _pending == 0;

    public void Reset() => this = default;

    /// <summary>
    /// Validates bytes that are all there is, such as a close reason (RFC 6455 §5.5.1): the same rules as a text
    /// message, so the two can never disagree.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes)
    {
        var validator = default(Utf8Validator);
        return validator.Feed(bytes) && validator.IsComplete;
    }

    /// <summary>Validates the next chunk; false as soon as it contains a byte that cannot be valid UTF-8.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes)
    {
        // 1. Finish a code point that straddles the previous chunk.
        int i = 0;
        while (_pending > 0 && i < bytes.Length)
        {
            if (!Step(bytes[i++]))
                return false;
        }
        bytes = bytes[i..];
        if (bytes.IsEmpty)
            return true;

        // 2. A lead byte among the last three may start a code point that continues in the next chunk.
        int tailStart = bytes.Length;
        for (int j = bytes.Length - 1; j >= Math.Max(0, bytes.Length - 3); j--)
        {
            if (bytes[j] >= 0xC0) { tailStart = j; break; }
            if (bytes[j] < 0x80) break;
        }

        // 3. The bulk, vectorized.
        if (!Utf8.IsValid(bytes[..tailStart]))
            return false;

        // 4. The tail, byte by byte, keeping state for the next chunk.
        foreach (byte b in bytes[tailStart..])
        {
            if (!Step(b))
                return false;
        }
        return true;
    }

    private bool Step(byte b)
    {
        if (_pending > 0)
        {
            if (b < 0x80 + _raiseLower || b > 0xBF - _lowerUpper)
                return false;
            _pending--;
            _raiseLower = _lowerUpper = 0;
            return true;
        }

        // RFC 3629 §4: the second byte's range is narrower after E0, ED, F0 and F4 (no overlongs, no surrogates,
        // nothing above U+10FFFF); C0, C1 and F5–FF never appear.
        switch (b)
        {
            case < 0x80: return true;
            case < 0xC2: return false;
            case < 0xE0: _pending = 1; return true;
            case 0xE0: _pending = 2; _raiseLower = 0xA0 - 0x80; return true;
            case 0xED: _pending = 2; _lowerUpper = 0xBF - 0x9F; return true;
            case < 0xF0: _pending = 2; return true;
            case 0xF0: _pending = 3; _raiseLower = 0x90 - 0x80; return true;
            case < 0xF4: _pending = 3; return true;
            case 0xF4: _pending = 3; _lowerUpper = 0xBF - 0x8F; return true;
            default: return false;
        }
    }
}
