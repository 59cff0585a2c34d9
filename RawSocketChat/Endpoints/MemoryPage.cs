using System.Net;
using System.Text.Json;
using RawSocketChat.Diagnostics;
using RawSocketChat.Http;
using RawSocketChat.Transport;

namespace RawSocketChat.Endpoints;

/// <summary>
/// <c>GET /debug/memory</c>, served only with <c>--diagnostics on</c> and only to loopback clients: what the server
/// <em>keeps</em>, as opposed to what its process happens to hold. It runs a full, blocking, compacting collection
/// (twice, around the finalizers), then reports the live managed heap and how many connections are still reachable.
/// <para>
/// Why not the RSS: between collections the heap holds every object allocated since the last one, and .NET sizes
/// that allocation budget from the CPU's cache (tens of MiB on one CPU, a hundred on another). A test bounding RSS
/// growth after a flood measures the machine as much as the server; the live heap after a full collection is the
/// same on every CPU. The forced collection pauses every thread, which is why it is off by default and never
/// offered to a remote client.
/// </para>
/// </summary>
public sealed class MemoryPage(ServerMetrics metrics, ConnectionTracker connections)
{
    public HttpResponse Handle(HttpRequest request, RequestContext context)
    {
        if (!IPAddress.IsLoopback(context.ClientAddress))
            return HttpResponse.Error(403, "Diagnostics are served to loopback clients only");

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers(); // what a finalizer frees counts as freed
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GCMemoryInfo gc = GC.GetGCMemoryInfo(GCKind.FullBlocking);

        var body = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            // Objects still reachable after the collection: the number the leak tests bound.
            json.WriteNumber("liveHeapBytes", GC.GetTotalMemory(forceFullCollection: false));
            // Memory the GC has committed from the OS (the live heap plus its free lists and reserve).
            json.WriteNumber("committedBytes", gc.TotalCommittedBytes);
            json.WriteNumber("fragmentedBytes", gc.FragmentedBytes);
            json.WriteNumber("gen2Collections", GC.CollectionCount(2));
            json.WriteNumber("connectionsOpen", metrics.ConnectionsOpen);
            // Open ones, and closed ones something still holds (a leak; see ConnectionTracker).
            json.WriteNumber("connectionsReachable", connections.CountReachable());
            json.WriteEndObject();
        }
        return HttpResponse.Content(200, "application/json; charset=utf-8", body.ToArray());
    }
}
