namespace RawSocketChat.Http;

/// <summary>
/// Which browser origins may open a WebSocket here. RFC 6455 §10.2: browsers always send <c>Origin</c>, so a server
/// that serves browsers must check it, or any page on the web could open a socket with the visitor's cookies and
/// network position (cross-site WebSocket hijacking). Non-browser clients send no Origin and are not checked.
/// <para>
/// Entries: <c>*</c> (any origin), <c>self</c> (the origin's host and port equal the request's Host),
/// <c>null</c> (a page opened from disk), or <c>scheme://host[:port]</c>; an entry without a port matches any port.
/// </para>
/// </summary>
public sealed class OriginPolicy
{
    public const string Default = "self,null,http://localhost,http://127.0.0.1,http://[::1]";

    private readonly bool _any, _self, _null;
    private readonly List<(string Scheme, string Host, int? Port)> _origins = [];

    public OriginPolicy(string entries)
    {
        foreach (string raw in entries.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (raw.ToLowerInvariant())
            {
                case "*": _any = true; break;
                case "self": _self = true; break;
                case "null": _null = true; break;
                default:
                    if (!Uri.TryCreate(raw, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                        throw new ArgumentException($"Not an origin: '{raw}' (expected *, self, null or scheme://host[:port])");
                    bool explicitPort = raw.AsSpan(raw.IndexOf("://", StringComparison.Ordinal) + 3).Contains(':')
                        && !raw.EndsWith(']');
                    _origins.Add((uri.Scheme, uri.IdnHost.ToLowerInvariant(), explicitPort ? uri.Port : null));
                    break;
            }
        }
    }

    /// <summary>
    /// RFC 6455 §10.2 [6455-10.2-origin]: whether a browser page from <paramref name="origin"/> may open a socket to
    /// <paramref name="host"/> (the request's Host).
    /// </summary>
    public bool IsAllowed(string? origin, string? host)
    {
        // RFC 6455 §4.2.1 item 7 [6455-4.2.1-no-origin]: no Origin "SHOULD NOT be interpreted as coming from a
        // browser".
        if (origin is null || _any)
            return true;
        if (origin == "null")
            return _null;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            return false;

        string originHost = uri.IdnHost.ToLowerInvariant();
        if (_self && host is not null && SameAuthority(uri, host))
            return true;
        foreach (var (scheme, h, port) in _origins)
        {
            if (scheme == uri.Scheme && h == originHost && (port is null || port == uri.Port))
                return true;
        }
        return false;
    }

    private static bool SameAuthority(Uri origin, string host)
    {
        // Host is "name[:port]"; without a port it means the scheme's default port.
        if (!Uri.TryCreate(origin.Scheme + "://" + host, UriKind.Absolute, out Uri? requested))
            return false;
        return string.Equals(requested.IdnHost, origin.IdnHost, StringComparison.OrdinalIgnoreCase) && requested.Port == origin.Port;
    }
}
