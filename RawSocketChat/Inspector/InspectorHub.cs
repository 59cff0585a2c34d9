using System.Collections.Concurrent;
using System.Net;
using RawSocketChat.Http;
using RawSocketChat.Transport;

namespace RawSocketChat.Inspector;

/// <summary>
/// Who watches which connection. The page opens its feed (<c>/inspect/feed</c>) with a random token and then the
/// connection it wants to watch, with the same token in its address (<c>/echo?inspect=TOKEN</c>): only whoever chose
/// the token sees that connection, so a user can watch their own traffic and nobody else's. The two must also come
/// from the same client address. Only with <c>--inspector on</c>; connections without a token get no tap at all.
/// </summary>
public sealed class InspectorHub : IFrameTapSource
{
    public const int MaxWatches = 64;

    private readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    /// <summary>One feed and the connection it watches (the latest one opened with its token).</summary>
    internal sealed class Watch(WebSocketConnection feed) : IFrameTapWatch
    {
        public WebSocketConnection Feed { get; } = feed;
        public WebSocketConnection? Subject { get; set; }
    }

    /// <summary>A token is 16 to 64 URL-safe characters: long enough not to be guessed, short enough to bound the map.</summary>
    public static bool IsValidToken(string? token) =>
        token is { Length: >= 16 and <= 64 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    internal bool TryWatch(string token, WebSocketConnection feed, out Watch? watch)
    {
        watch = null;
        if (_watches.Count >= MaxWatches)
            return false;
        var created = new Watch(feed);
        if (!_watches.TryAdd(token, created))
            return false;
        watch = created;
        return true;
    }

    internal void Unwatch(string token, Watch watch) => _watches.TryRemove(new KeyValuePair<string, Watch>(token, watch));

    /// <summary>
    /// The tap for a connection being opened, when its address names a token being watched from the same client
    /// address; null otherwise (the usual case, which costs nothing more).
    /// </summary>
    internal FrameTap? Attach(HttpRequest request, HttpResponse response, IPAddress client, bool compression, out Watch? watch)
    {
        watch = null;
        string? token = TokenOf(request.Target);
        if (token is null || !_watches.TryGetValue(token, out Watch? found) || !found.Feed.IsOpen || !found.Feed.ClientAddress.Equals(client))
            return null;
        WebSocketConnection feed = found.Feed;
        var tap = new FrameTap(json => feed.SendText(json), compression);
        tap.Handshake(request, response);
        watch = found;
        return tap;
    }

    FrameTap? IFrameTapSource.Attach(HttpRequest request, HttpResponse response, IPAddress client, bool compression, out IFrameTapWatch? watch)
    {
        FrameTap? tap = Attach(request, response, client, compression, out Watch? found);
        watch = found;
        return tap;
    }

    /// <summary>The <c>inspect</c> parameter of a request-target's query, when it is a valid token.</summary>
    internal static string? TokenOf(string target)
    {
        int query = target.IndexOf('?');
        if (query < 0)
            return null;
        foreach (string pair in target[(query + 1)..].Split('&'))
            if (pair.StartsWith("inspect=", StringComparison.Ordinal) && IsValidToken(pair[8..]))
                return pair[8..];
        return null;
    }
}
