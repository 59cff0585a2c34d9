using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Moderation;

/// <summary>
/// Writes one entry of the audit log; for every module whose actions can be moderation (someone else's message
/// deleted, someone else's reaction removed, the topic of someone else's room, a password reset).
/// </summary>
internal interface IModerationLog
{
    Task<ModerationRecord> LogAsync(string action, ChatUser actor, string target,
        string? room = null, string? messageId = null, DateTime? until = null, string? reason = null);
}

/// <summary>The audit log in the store, with ids from the same generator as messages (they sort in time order).</summary>
internal sealed class ModerationLog(IChatStore store, Log log, ServerMetrics metrics, MessageIdGenerator ids, TimeProvider time) : IModerationLog
{
    public async Task<ModerationRecord> LogAsync(string action, ChatUser actor, string target,
        string? room = null, string? messageId = null, DateTime? until = null, string? reason = null)
    {
        DateTime now = Millis(time.UtcNow());
        var entry = new ModerationRecord(ids.Next(now), now, action, actor.Name, target, room, messageId, until, reason);
        await metrics.StoreWrite.TimedAsync(() => store.AppendModerationAsync(entry));
        log.Info($"chat moderation action={action} by={actor.Name} user={target}{(room is null ? "" : " room=" + room)}");
        return entry;
    }
}
