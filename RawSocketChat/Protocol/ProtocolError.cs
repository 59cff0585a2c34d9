namespace RawSocketChat.Protocol;

/// <summary>Every way a peer can break RFC 6455 on this connection. Each one maps to exactly one close code.</summary>
public enum ProtocolError : byte
{
    None = 0,
    UnmaskedClientFrame,
    ReservedBitsSet,
    ReservedOpcode,
    ControlFrameTooLong,
    FragmentedControlFrame,
    UnexpectedContinuation,
    ExpectedContinuation,
    LengthHighBitSet,
    NonMinimalLength,
    InvalidClosePayloadLength,
    InvalidCloseCode,
    InvalidUtf8,
    MessageTooBig,
}

public static class ProtocolErrorExtensions
{
    /// <summary>The single mapping from a violation to the close code sent before failing the connection (§7.1.7).</summary>
    public static ushort ToCloseCode(this ProtocolError error) => error switch
    {
        ProtocolError.InvalidUtf8 => CloseCode.InvalidPayloadData,   // RFC 6455 §8.1
        ProtocolError.MessageTooBig => CloseCode.MessageTooBig,      // RFC 6455 §7.4.1
        ProtocolError.None => CloseCode.NormalClosure,
        _ => CloseCode.ProtocolError,
    };

    /// <summary>A short reason for logs and the close frame: names the rule, never exception text.</summary>
    public static string Describe(this ProtocolError error) => error switch
    {
        ProtocolError.UnmaskedClientFrame => "client frame not masked",
        ProtocolError.ReservedBitsSet => "reserved bits set without an extension",
        ProtocolError.ReservedOpcode => "reserved opcode",
        ProtocolError.ControlFrameTooLong => "control frame longer than 125 bytes",
        ProtocolError.FragmentedControlFrame => "fragmented control frame",
        ProtocolError.UnexpectedContinuation => "continuation frame without a message in progress",
        ProtocolError.ExpectedContinuation => "new data frame inside a fragmented message",
        ProtocolError.LengthHighBitSet => "64-bit payload length with the most significant bit set",
        ProtocolError.NonMinimalLength => "payload length not in minimal encoding",
        ProtocolError.InvalidClosePayloadLength => "close frame payload of 1 byte",
        ProtocolError.InvalidCloseCode => "invalid close code",
        ProtocolError.InvalidUtf8 => "invalid UTF-8",
        ProtocolError.MessageTooBig => "message too big",
        _ => "none",
    };
}
