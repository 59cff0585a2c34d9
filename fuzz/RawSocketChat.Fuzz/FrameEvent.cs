using RawSocketChat.Protocol;

namespace RawSocketChat.Fuzz;

/// <summary>A <see cref="ReceiveResult"/> copied out of the receiver's buffers, so it can be compared later.</summary>
public sealed record FrameEvent(ReceiveStatus Status, Opcode Opcode, byte[] Payload, ushort CloseCode, string? Reason, ProtocolError Error)
{
    public static FrameEvent From(in ReceiveResult result) =>
        new(result.Status, result.Opcode, result.Payload.ToArray(), result.CloseCode, result.CloseReason, result.Error);

    public static FrameEvent Message(Opcode opcode, byte[] payload) => new(ReceiveStatus.Message, opcode, payload, 0, null, ProtocolError.None);
    public static FrameEvent Ping(byte[] payload) => new(ReceiveStatus.Ping, Opcode.Ping, payload, 0, null, ProtocolError.None);
    public static FrameEvent Pong(byte[] payload) => new(ReceiveStatus.Pong, Opcode.Pong, payload, 0, null, ProtocolError.None);
    public static FrameEvent Close(ushort code, string reason) => new(ReceiveStatus.Close, Opcode.Close, [], code, reason, ProtocolError.None);
    /// <summary>A failure; <paramref name="value"/> and <paramref name="limit"/> are the numbers its reason quotes.</summary>
    public static FrameEvent Fail(ProtocolError error, long value = 0, long limit = 0) =>
        new(ReceiveStatus.Failed, default, [], error.ToCloseCode(), error.Describe(value, limit), error);

    public bool Equals(FrameEvent? other) =>
        other is not null && Status == other.Status && Opcode == other.Opcode && Payload.AsSpan().SequenceEqual(other.Payload)
        && CloseCode == other.CloseCode && Reason == other.Reason && Error == other.Error;

    public override int GetHashCode() => HashCode.Combine(Status, Opcode, Payload.Length, CloseCode, Error);

    public override string ToString() => Status switch
    {
        ReceiveStatus.Message => $"Message({Opcode}, {Payload.Length}B {Hex.Preview(Payload)})",
        ReceiveStatus.Ping or ReceiveStatus.Pong => $"{Status}({Payload.Length}B {Hex.Preview(Payload)})",
        ReceiveStatus.Close => $"Close({CloseCode}, \"{Reason}\")",
        ReceiveStatus.Failed => $"Failed({Error} -> {CloseCode}, \"{Reason}\")",
        _ => Status.ToString(),
    };

    public static string Describe(IReadOnlyList<FrameEvent> events) => "[" + string.Join(", ", events) + "]";
}

public static class Hex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static string Preview(ReadOnlySpan<byte> bytes, int max = 16) =>
        bytes.Length <= max ? Of(bytes) : Of(bytes[..max]) + "…";
}
