using System.Net;
using RawSocketChat.Http;

namespace RawSocketChat.Transport;

/// <summary>
/// Who may want to watch a connection's frames: the frame inspector (<c>--inspector on</c>), which sits above the
/// transport and plugs in here. Asked once per upgraded connection, before it is created.
/// </summary>
public interface IFrameTapSource
{
    /// <summary>
    /// The tap for a connection being opened, with the watch that is told which connection it became; null (the
    /// usual case, which costs nothing more) when nobody watches it.
    /// </summary>
    FrameTap? Attach(HttpRequest request, HttpResponse response, IPAddress client, bool compression, out IFrameTapWatch? watch);
}

/// <summary>A watcher's hold on the connection it watches: set when the tapped connection opens, cleared when it ends.</summary>
public interface IFrameTapWatch
{
    WebSocketConnection? Subject { get; set; }
}
