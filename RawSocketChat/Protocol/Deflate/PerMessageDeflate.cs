namespace RawSocketChat.Protocol.Deflate;

/// <summary>Constants of RFC 7692 §7.2 shared by both directions.</summary>
public static class PerMessageDeflate
{
    /// <summary>
    /// The last four bytes of an empty stored DEFLATE block (<c>BTYPE=00</c>, <c>LEN=0000</c>, <c>NLEN=ffff</c>), which
    /// a sync flush ends with. RFC 7692 §7.2.1 has the sender remove them; §7.2.2 has the receiver append them again.
    /// </summary>
    public static ReadOnlySpan<byte> Tail => [0x00, 0x00, 0xFF, 0xFF];
}
