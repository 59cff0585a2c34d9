using System.Buffers.Binary;

namespace RawSocketChat.Storage;

/// <summary>
/// Message ids: 12 bytes written as 24 lower-case hex digits, laid out like a MongoDB ObjectId so the MongoDB store
/// can keep them as one — 4 bytes of big-endian Unix seconds, then an 8-byte big-endian counter.
/// <para>
/// The counter only ever goes up, and the seconds never go back (a clock stepped backwards keeps the last value), so
/// every id is greater than the one before it, as bytes and as text. Seeding the generator with the greatest stored
/// id carries that across restarts.
/// </para>
/// </summary>
public sealed class MessageIdGenerator
{
    public const int Length = 24;

    private readonly object _lock = new();
    private uint _seconds;
    private ulong _counter;

    /// <param name="lastId">The greatest id already used, if any.</param>
    public MessageIdGenerator(string? lastId = null)
    {
        if (lastId is null)
            return;
        if (!TryParse(lastId, out _seconds, out _counter))
            throw new ArgumentException($"'{lastId}' is not a message id", nameof(lastId));
    }

    /// <summary>The next id, for a message sent at <paramref name="utcNow"/>.</summary>
    public string Next(DateTime utcNow)
    {
        long unix = new DateTimeOffset(utcNow.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(utcNow, DateTimeKind.Utc) : utcNow.ToUniversalTime()).ToUnixTimeSeconds();
        uint seconds = (uint)Math.Clamp(unix, 0, uint.MaxValue);
        uint idSeconds;
        ulong counter;
        lock (_lock)
        {
            if (seconds > _seconds)
                _seconds = seconds;
            counter = ++_counter;
            idSeconds = _seconds;
        }
        return Format(idSeconds, counter);
    }

    public static string Format(uint seconds, ulong counter)
    {
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, seconds);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[4..], counter);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>True for exactly 24 lower-case hex digits (the form this server writes and accepts).</summary>
    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Length)
            return false;
        foreach (char c in id)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
                return false;
        return true;
    }

    public static bool TryParse(string id, out uint seconds, out ulong counter)
    {
        seconds = 0;
        counter = 0;
        if (!IsValid(id))
            return false;
        Span<byte> bytes = stackalloc byte[12];
        Convert.FromHexString(id, bytes, out _, out _);
        seconds = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        counter = BinaryPrimitives.ReadUInt64BigEndian(bytes[4..]);
        return true;
    }
}
