using System.Globalization;

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
    // permessage-deflate (RFC 7692), only possible once it is negotiated.
    CompressedControlFrame,
    CompressedContinuation,
    InvalidCompressedData,
}

public static class ProtocolErrorExtensions
{
    /// <summary>
    /// The single mapping from a violation to the close code sent before failing the connection (RFC 6455 §7.1.7).
    /// RFC 6455 §5.1 [6455-5.1-unmasked-1002]: an unmasked frame gets 1002, as every framing error; RFC 6455 §7.4.1
    /// [6455-7.4.1-codes]: the other codes we send are 1000 (an answer), 1001 (idle, shutdown), 1008 (policy) and 1011
    /// (a handler threw).
    /// </summary>
    public static ushort ToCloseCode(this ProtocolError error) => error switch
    {
        ProtocolError.InvalidUtf8 => CloseCode.InvalidPayloadData,   // RFC 6455 §8.1
        // RFC 7692 §7.2.2 names no code for a payload that does not inflate; like a text message that is not UTF-8,
        // the frames are well formed and the data inside is not what they claim (RFC 6455 §7.4.1: 1007).
        ProtocolError.InvalidCompressedData => CloseCode.InvalidPayloadData,
        ProtocolError.MessageTooBig => CloseCode.MessageTooBig,      // RFC 6455 §7.4.1
        ProtocolError.None => CloseCode.NormalClosure,
        _ => CloseCode.ProtocolError,
    };

    /// <summary>
    /// A short reason for logs and the close frame: names the rule, never exception text (RFC 6455 §7.4
    /// [6455-7.4-reason]: an endpoint "MAY indicate a reason for closure"), with the numbers that broke it when the
    /// receiver has them (<see cref="ReceiveResult.ErrorValue"/>, <see cref="ReceiveResult.ErrorLimit"/>; 0 when
    /// unknown). Only failures build these strings, so the receive path allocates nothing for them.
    /// </summary>
    public static string Describe(this ProtocolError error, long value = 0, long limit = 0)
    {
        CultureInfo en = CultureInfo.InvariantCulture; // 1,048,576 whatever the server's locale
        return error switch
        {
            ProtocolError.UnmaskedClientFrame => "client frame not masked",
            ProtocolError.ReservedBitsSet => "reserved bits set without an extension",
            ProtocolError.ReservedOpcode when value != 0 => string.Create(en, $"reserved opcode 0x{value:X}"),
            ProtocolError.ReservedOpcode => "reserved opcode",
            ProtocolError.ControlFrameTooLong when value != 0 =>
                string.Create(en, $"control frame of {value:N0} bytes is over the limit of {FrameHeader.MaxControlPayloadLength}"),
            ProtocolError.ControlFrameTooLong => string.Create(en, $"control frame longer than {FrameHeader.MaxControlPayloadLength} bytes"),
            ProtocolError.FragmentedControlFrame => "fragmented control frame",
            ProtocolError.UnexpectedContinuation => "continuation frame without a message in progress",
            ProtocolError.ExpectedContinuation => "new data frame inside a fragmented message",
            ProtocolError.LengthHighBitSet => "64-bit payload length with the most significant bit set",
            ProtocolError.NonMinimalLength => "payload length not in minimal encoding",
            ProtocolError.InvalidClosePayloadLength => "close frame payload of 1 byte",
            ProtocolError.InvalidCloseCode when value != 0 => string.Create(en, $"invalid close code {value}"),
            ProtocolError.InvalidCloseCode => "invalid close code",
            ProtocolError.InvalidUtf8 => "invalid UTF-8",
            ProtocolError.MessageTooBig when value != 0 => string.Create(en, $"message of {value:N0} bytes is over the limit of {limit:N0}"),
            // A compressed message declares no length: inflating stopped one byte past the limit.
            ProtocolError.MessageTooBig when limit != 0 => string.Create(en, $"message inflates to more than the limit of {limit:N0} bytes"),
            ProtocolError.MessageTooBig => "message too big",
            ProtocolError.CompressedControlFrame => "RSV1 (compressed) set on a control frame",
            ProtocolError.CompressedContinuation => "RSV1 (compressed) set on a continuation frame",
            ProtocolError.InvalidCompressedData => "compressed payload is not valid DEFLATE data",
            _ => "none",
        };
    }
}
