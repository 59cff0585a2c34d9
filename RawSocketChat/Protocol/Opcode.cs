namespace RawSocketChat.Protocol;

/// <summary>The 4-bit frame opcode (RFC 6455 §5.2, §11.8).</summary>
public enum Opcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    // 0x3–0x7 are reserved for further non-control frames.
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
    // 0xB–0xF are reserved for further control frames.
}

public static class OpcodeExtensions
{
    // RFC 6455 §5.5: control frames are identified by opcodes where the most significant bit is 1.
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    public static bool IsDefined(this Opcode opcode) => opcode is Opcode.Continuation or Opcode.Text or Opcode.Binary
        or Opcode.Close or Opcode.Ping or Opcode.Pong;
}
