namespace RawSocketChat.Protocol;

/// <summary>Close status codes (RFC 6455 §7.4.1) and the rule for which ones a peer may send.</summary>
public static class CloseCode
{
    public const ushort NormalClosure = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;
    // 1004 is reserved; 1005 (no status) and 1006 (abnormal) exist only in APIs, never on the wire.
    public const ushort NoStatusReceived = 1005;
    public const ushort AbnormalClosure = 1006;
    public const ushort InvalidPayloadData = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort MandatoryExtension = 1010;
    public const ushort InternalError = 1011;

    /// <summary>
    /// RFC 6455 §7.4.1–§7.4.2: the codes an endpoint may put in a Close frame (§5.5.1 [6455-5.5.1-code-valid]: a
    /// close body starts with "a status code … defined in Section 7.4"). 1000–1003 and 1007–1011 are
    /// defined by the RFC; 3000–3999 are registered with IANA and 4000–4999 are for private use. Everything
    /// else (0–999, 1004–1006, 1012–2999 including 1015, and 5000+) is a protocol error when received.
    /// 1012–1014 are IANA additions that this server does not accept from peers, as Autobahn's strict mode expects.
    /// </summary>
    public static bool IsValidOnWire(ushort code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1011) or (>= 3000 and <= 4999);
}
