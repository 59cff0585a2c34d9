using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>Sorts the driver's exceptions into "the database cannot be reached now" and everything else.</summary>
public static class MongoErrors
{
    /// <summary>
    /// True when the request may well succeed later against the same data: no server could be selected in time, a
    /// connection failed or closed, the pool is paused after such a failure, the node is not (or no longer) primary,
    /// or the write concern could not be satisfied (too few members up). False for requests the server refused.
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        TimeoutException => true, // server selection timed out: nothing reachable, or no primary
        MongoConnectionException => true, // includes a closed connection and failed authentication while connecting
        MongoConnectionPoolPausedException => true,
        MongoWaitQueueFullException => true,
        MongoNotPrimaryException or MongoNodeIsRecoveringException => true,
        MongoWriteConcernException => true,
        MongoBulkWriteException { WriteConcernError: not null } => true, // applied, but not as durably as required
        MongoExecutionTimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// A short reason for a log line: the innermost cause of the last failed connection attempt when the driver knows
    /// one (instead of its multi-line dump of the cluster state), otherwise the exception's own first sentence.
    /// </summary>
    public static string Describe(Exception e, MongoClient? client)
    {
        if (e is TimeoutException && client is not null)
        {
            try
            {
                foreach (var server in client.Cluster.Description.Servers)
                {
                    if (server.HeartbeatException is { } heartbeat)
                        return $"{Format(server.EndPoint)}: {FirstSentence(heartbeat.GetBaseException().Message)}";
                }
            }
            catch (Exception inner) when (inner is ObjectDisposedException or InvalidOperationException)
            {
                // The client is already disposed: fall back to the message.
            }
        }
        return FirstSentence(e.Message);
    }

    private static string Format(System.Net.EndPoint endPoint) => endPoint switch
    {
        System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "",
    };

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
