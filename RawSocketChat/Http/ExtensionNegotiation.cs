using System.Text;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Http;

/// <summary>One element of <c>Sec-WebSocket-Extensions</c>: an extension name and its parameters, in order.</summary>
public sealed record ExtensionOffer(string Name, IReadOnlyList<ExtensionParameter> Parameters)
{
    public override string ToString() =>
        Name + string.Concat(Parameters.Select(p => p.Value is null ? $"; {p.Name}" : $"; {p.Name}={p.Value}"));
}

/// <summary>A parameter of an extension offer; <see cref="Value"/> is null when it has none (<c>; client_max_window_bits</c>).</summary>
public readonly record struct ExtensionParameter(string Name, string? Value);

/// <summary>
/// Extension negotiation in the opening handshake, with no I/O: the client's <c>Sec-WebSocket-Extensions</c> in, the
/// permessage-deflate parameters in force (or none) out. Two layers, two kinds of "no":
/// <list type="number">
/// <item><b>Syntax</b> (RFC 6455 §9.1): the header is a comma-separated list of offers, each a token followed by
/// <c>; name</c> or <c>; name=value</c> parameters, a value being a token or a quoted string whose unescaped content
/// is a token. A header that breaks this grammar is a malformed handshake: 400 (RFC 6455 §4.2.1).</item>
/// <item><b>Meaning</b> (RFC 7692 §5 and §7): offers come in the client's order of preference; the server accepts the
/// first one it can honour and declines the others. Declining is not an error: the connection simply runs without
/// compression.</item>
/// </list>
/// <code>
///   Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; foo=1, permessage-deflate; client_max_window_bits
///                             └ declined: foo is no parameter of ours ──────────┘  └ accepted ──────────────────────────┘
///   → Sec-WebSocket-Extensions: permessage-deflate
/// </code>
/// </summary>
public static class ExtensionNegotiation
{
    public const string HeaderName = "Sec-WebSocket-Extensions";

    /// <summary>
    /// Parses every line of the header (a repeated header is one list, RFC 9110 §5.3; RFC 6455 §9.1 [6455-9.1-lines]).
    /// False when a line breaks the RFC 6455 §9.1 grammar or the whole list is empty (<c>1#extension</c>: at least
    /// one).
    /// </summary>
    public static bool TryParse(IEnumerable<string> headerValues, out List<ExtensionOffer> offers)
    {
        offers = [];
        foreach (string value in headerValues)
        {
            var cursor = new Cursor(value);
            while (true)
            {
                cursor.SkipWhitespace();
                if (cursor.AtEnd)
                    break;
                // RFC 9110 §5.6.1.2: empty list elements ("a, , b") are accepted and ignored.
                if (cursor.Skip(','))
                    continue;

                if (!cursor.TryToken(out string name))
                    return false;
                var parameters = new List<ExtensionParameter>();
                cursor.SkipWhitespace();
                while (cursor.Skip(';'))
                {
                    cursor.SkipWhitespace();
                    if (!cursor.TryToken(out string parameterName))
                        return false;
                    cursor.SkipWhitespace();
                    string? parameterValue = null;
                    if (cursor.Skip('='))
                    {
                        cursor.SkipWhitespace();
                        // RFC 6455 §9.1 [6455-9.1-quoted-token]: "When using the quoted-string syntax variant, the
                        // value after quoted-string unescaping MUST conform to the 'token' ABNF."
                        if (cursor.Peek == '"')
                        {
                            if (!cursor.TryQuotedString(out parameterValue) || !IsToken(parameterValue))
                                return false;
                        }
                        else if (!cursor.TryToken(out parameterValue))
                        {
                            return false;
                        }
                        cursor.SkipWhitespace();
                    }
                    parameters.Add(new ExtensionParameter(parameterName, parameterValue));
                }
                offers.Add(new ExtensionOffer(name, parameters));

                if (!cursor.AtEnd && !cursor.Skip(','))
                    return false;
            }
        }
        return offers.Count > 0;
    }

    /// <summary>
    /// RFC 7692 §5: "The order of elements is important as it specifies the client's preference". Returns the
    /// parameters of the first permessage-deflate offer we can honour (other extensions are ignored), or null.
    /// RFC 6455 §9 [6455-9-accept]: we accept at most this one extension; §4.2.2 [6455-4.2.2-extensions]: only an offer
    /// the client made is ever answered; RFC 7692 §5 [7692-5-alone]: nothing else is accepted beside it, so nothing
    /// can conflict with it over RSV1.
    /// </summary>
    public static DeflateParameters? NegotiateDeflate(IReadOnlyList<ExtensionOffer> offers, DeflateOptions policy)
    {
        foreach (ExtensionOffer offer in offers)
        {
            if (offer.Name != DeflateParameters.ExtensionName)
                continue;
            if (TryAcceptDeflate(offer, policy, out DeflateParameters? agreed, out _))
                return agreed;
        }
        return null;
    }

    /// <summary>
    /// Decides one permessage-deflate offer. RFC 7692 §7: "A server MUST decline an extension negotiation offer for
    /// this extension if any of the following conditions are met: the negotiation offer contains an extension
    /// parameter not defined for use in an offer [7692-7-decline-unknown]; […] an extension parameter with an invalid
    /// value [7692-7-decline-invalid]; […] multiple extension parameters with the same name [7692-7-decline-duplicate];
    /// the server doesn't support the offered configuration [7692-7-decline-unsupported]." RFC 6455 §9
    /// [6455-9-parameters]: what is accepted is stated with the parameters RFC 7692 §7.1 defines.
    /// <paramref name="declined"/> names the reason, for tests and debugging.
    /// </summary>
    public static bool TryAcceptDeflate(ExtensionOffer offer, DeflateOptions policy, out DeflateParameters? agreed, out string? declined)
    {
        agreed = null;
        bool serverNoContextTakeover = false, clientNoContextTakeover = false;
        int? serverMaxWindowBits = null, clientMaxWindowBits = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (ExtensionParameter parameter in offer.Parameters)
        {
            if (!seen.Add(parameter.Name))
                return Decline($"parameter {parameter.Name} appears twice", out declined);

            switch (parameter.Name)
            {
                // RFC 7692 §7.1.1.1 and §7.1.1.2: these two "have no value".
                case "server_no_context_takeover":
                    if (parameter.Value is not null)
                        return Decline("server_no_context_takeover has a value", out declined);
                    // "A server accepts an extension negotiation offer that includes the "server_no_context_takeover"
                    // extension parameter by including [it] in the corresponding extension negotiation response";
                    // supporting it is RECOMMENDED [7692-7.1.1.1-support].
                    serverNoContextTakeover = true;
                    break;

                case "client_no_context_takeover":
                    if (parameter.Value is not null)
                        return Decline("client_no_context_takeover has a value", out declined);
                    // RFC 7692 §7.1.1.2 [7692-7.1.1.2-response]: the server "may either ignore the parameter or use the
                    // parameter to avoid taking over the LZ77 sliding window unnecessarily by including [it] in the
                    // corresponding response": we use it,
                    // because then our decompressor can free its window after every message.
                    clientNoContextTakeover = true;
                    break;

                // RFC 7692 §7.1.2.1 [7692-7.1.2.1-same-or-smaller]: a value is required, and accepting means answering
                // "with the same or smaller value". We answer with the same: 15 is DeflateStream's window; 9 to 14 go
                // through the system zlib, and where there is none (not Linux) they are declined, never silently
                // violated; 8 is answered as asked and our messages go uncompressed
                // (DeflateParameters.ServerCompresses).
                case "server_max_window_bits":
                    if (!TryParseWindowBits(parameter.Value, out int serverBits))
                        return Decline("server_max_window_bits needs a value from 8 to 15", out declined);
                    if (serverBits is > DeflateParameters.MinWindowBits and < DeflateParameters.MaxWindowBits && !ZLibDeflater.IsAvailable)
                        return Decline($"server_max_window_bits={serverBits}: without the system zlib our window is always 15", out declined);
                    serverMaxWindowBits = serverBits;
                    break;

                // RFC 7692 §7.1.2.2 [7692-7.1.2.2-response]: with or without a value. A 15-bit decompressor decodes any
                // smaller window, so every value is fine. With a value, we answer with it (the window the client will
                // use at most); without one, we leave the parameter out of the answer, which means the client may use
                // up to 15. (An offer without the parameter never gets it in the answer: the client would not
                // understand it [7692-7.1.2.2-not-offered].)
                case "client_max_window_bits":
                    if (parameter.Value is not null)
                    {
                        if (!TryParseWindowBits(parameter.Value, out int clientBits))
                            return Decline("client_max_window_bits value is not from 8 to 15", out declined);
                        clientMaxWindowBits = clientBits;
                    }
                    break;

                default:
                    return Decline($"unknown parameter {parameter.Name}", out declined);
            }
        }

        // Without context takeover on our side (--deflate-context-takeover off) both are added:
        // RFC 7692 §7.1.1.1 and §7.1.1.2 let a server include either parameter even when the offer did not
        // [7692-7.1.1.1-unasked].
        agreed = new DeflateParameters
        {
            ServerNoContextTakeover = serverNoContextTakeover || !policy.ContextTakeover,
            ClientNoContextTakeover = clientNoContextTakeover || !policy.ContextTakeover,
            ServerMaxWindowBits = serverMaxWindowBits,
            ClientMaxWindowBits = clientMaxWindowBits,
        };
        declined = null;
        return true;
    }

    private static bool Decline(string reason, out string? declined)
    {
        declined = reason;
        return false;
    }

    /// <summary>RFC 7692 §7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15, inclusive".</summary>
    private static bool TryParseWindowBits(string? value, out int bits)
    {
        bits = 0;
        if (value is not { Length: 1 or 2 } || value[0] == '0' || !value.All(char.IsAsciiDigit))
            return false;
        bits = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        return bits is >= 8 and <= 15;
    }

    /// <summary>RFC 9110 §5.6.2: <c>token = 1*tchar</c>.</summary>
    public static bool IsToken(string value) => value.Length > 0 && value.All(IsTokenChar);

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    /// <summary>A position in one header value.</summary>
    private ref struct Cursor(string text)
    {
        private int _position;

        public readonly bool AtEnd => _position >= text.Length;
        public readonly char Peek => AtEnd ? '\0' : text[_position];

        /// <summary>OWS = *( SP / HTAB ).</summary>
        public void SkipWhitespace()
        {
            while (!AtEnd && text[_position] is ' ' or '\t')
                _position++;
        }

        public bool Skip(char c)
        {
            if (Peek != c || AtEnd)
                return false;
            _position++;
            return true;
        }

        public bool TryToken(out string token)
        {
            int start = _position;
            while (!AtEnd && IsTokenChar(text[_position]))
                _position++;
            token = text[start.._position];
            return token.Length > 0;
        }

        /// <summary>RFC 9110 §5.6.4: <c>DQUOTE *( qdtext / quoted-pair ) DQUOTE</c>, unescaped.</summary>
        public bool TryQuotedString(out string value)
        {
            value = "";
            if (!Skip('"'))
                return false;
            var unescaped = new StringBuilder();
            while (!AtEnd)
            {
                char c = text[_position++];
                if (c == '"')
                {
                    value = unescaped.ToString();
                    return true;
                }
                if (c == '\\')
                {
                    if (AtEnd)
                        return false;
                    c = text[_position++];
                }
                // qdtext and the escaped character: HTAB, SP, visible ASCII, obs-text; never other controls.
                if (c != '\t' && (c < 0x20 || c == 0x7F))
                    return false;
                unescaped.Append(c);
            }
            return false; // no closing quote
        }
    }
}
