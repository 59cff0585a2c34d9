namespace RawSocketChat.Protocol;

public enum ReceiveStatus : byte
{
    /// <summary>Every byte given was consumed and no event is complete yet: read more from the network.</summary>
    NeedMoreData,
    /// <summary>A whole text or binary message (all fragments reassembled, UTF-8 checked for text).</summary>
    Message,
    /// <summary>A ping whose payload must be echoed in a pong (RFC 6455 §5.5.2).</summary>
    Ping,
    /// <summary>A pong; solicited or not, it needs no answer (RFC 6455 §5.5.3).</summary>
    Pong,
    /// <summary>A valid Close frame: answer it and close the TCP connection (RFC 6455 §5.5.1).</summary>
    Close,
    /// <summary>The peer broke the protocol: fail the connection with <see cref="ReceiveResult.CloseCode"/> (RFC 6455 §7.1.7).</summary>
    Failed,
}

/// <summary>
/// One event from <see cref="WebSocketReceiver.Receive"/>. <see cref="Payload"/> points into the receiver's
/// buffers and is valid only until the next call to <c>Receive</c>.
/// </summary>
public readonly struct ReceiveResult
{
    public ReceiveStatus Status { get; }
    /// <summary>Text or Binary for <see cref="ReceiveStatus.Message"/>; the control opcode otherwise.</summary>
    public Opcode Opcode { get; }
    public ReadOnlyMemory<byte> Payload { get; }
    /// <summary>For Close: the peer's code (1005 when it sent none). For Failed: the code to send.</summary>
    public ushort CloseCode { get; }
    /// <summary>For Close: the peer's reason. For Failed: the reason to send, built from the error and its numbers.</summary>
    public string? CloseReason { get; }
    public ProtocolError Error { get; }
    /// <summary>
    /// For Failed: the number that broke the rule, 0 when it has none — the declared length of a message or control
    /// frame that is too long, a reserved opcode, a close code that may not be sent.
    /// </summary>
    public long ErrorValue { get; }
    /// <summary>For Failed by a size rule: the limit that was passed (0 otherwise).</summary>
    public long ErrorLimit { get; }

    private ReceiveResult(ReceiveStatus status, Opcode opcode, ReadOnlyMemory<byte> payload, ushort closeCode, string? reason,
        ProtocolError error, long errorValue = 0, long errorLimit = 0)
    {
        Status = status;
        Opcode = opcode;
        Payload = payload;
        CloseCode = closeCode;
        CloseReason = reason;
        Error = error;
        ErrorValue = errorValue;
        ErrorLimit = errorLimit;
    }

    public static ReceiveResult NeedMoreData => default;
    public static ReceiveResult Message(Opcode opcode, ReadOnlyMemory<byte> payload) => new(ReceiveStatus.Message, opcode, payload, 0, null, ProtocolError.None);
    public static ReceiveResult Ping(ReadOnlyMemory<byte> payload) => new(ReceiveStatus.Ping, Opcode.Ping, payload, 0, null, ProtocolError.None);
    public static ReceiveResult Pong(ReadOnlyMemory<byte> payload) => new(ReceiveStatus.Pong, Opcode.Pong, payload, 0, null, ProtocolError.None);
    public static ReceiveResult Close(ushort code, string reason) => new(ReceiveStatus.Close, Opcode.Close, default, code, reason, ProtocolError.None);
    public static ReceiveResult Fail(ProtocolError error, long value = 0, long limit = 0) =>
        new(ReceiveStatus.Failed, default, default, error.ToCloseCode(), error.Describe(value, limit), error, value, limit);

    public override string ToString() => Status switch
    {
        ReceiveStatus.Message => $"Message({Opcode}, {Payload.Length} bytes)",
        ReceiveStatus.Close => $"Close({CloseCode}, \"{CloseReason}\")",
        ReceiveStatus.Failed => $"Failed({Error} → {CloseCode})",
        _ => Status.ToString(),
    };
}
