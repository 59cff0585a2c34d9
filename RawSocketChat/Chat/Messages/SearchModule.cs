using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.RateLimits;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Messages;

/// <summary>
/// <c>search</c>: the messages of the rooms the user is a member of (their direct conversations included) that hold
/// every term of the query, newest first, a page at a time. What a user may search is exactly what they may read with
/// <c>history</c>, decided here, before the store is asked; the store knows nothing of who asks. A search costs more
/// than a send, so it has a budget of its own per user (<c>--search-rate</c>, <c>--search-burst</c>) on top of the
/// connection's.
/// </summary>
internal sealed class SearchModule(ChatSettings settings, IChatStore store, ServerMetrics metrics, IRoomLookup lookup, RoomRegistry rooms, TimeProvider time)
{
    public const int DefaultLimit = 20;

    public UserBudget Budget { get; } = new(settings.SearchRate, settings.SearchBurst);

    public async Task SearchAsync(ChatSession session, ChatUser user, SearchCommand command)
    {
        if (!Require(session, command.Ref, command.Query, "query"))
            return;
        if (command.Query!.Length > settings.MaxSearchLength)
        {
            session.SendError(ChatErrorCode.TooLong, $"a search is at most {settings.MaxSearchLength} characters", command.Ref);
            return;
        }
        if (SearchQuery.Parse(command.Query, settings.MaxSearchTerms, out string? problem) is not { } query)
        {
            session.SendError(ChatErrorCode.BadRequest, problem!, command.Ref);
            return;
        }
        if (command.Before is not null && !MessagesModule.CheckMessageId(session, command.Ref, command.Before, "before"))
            return;
        if (command.User is not null && !NameRules.IsValidName(command.User))
        {
            session.SendError(ChatErrorCode.BadRequest, "'user' must be a user name", command.Ref);
            return;
        }
        int limit = command.Limit ?? DefaultLimit;
        if (limit < 1 || limit > MessagesModule.HistoryPageLimit)
        {
            session.SendError(ChatErrorCode.BadRequest, $"'limit' must be 1 to {MessagesModule.HistoryPageLimit}", command.Ref);
            return;
        }

        string[] scope;
        if (command.Room is not null)
        {
            if (lookup.Find(session, command.Ref, command.Room) is not { } room)
                return;
            if (!room.IsMember(user.Key))
            {
                session.SendError(ChatErrorCode.NotMember, $"join '{room.Name}' to search it", command.Ref);
                return;
            }
            scope = [room.Name];
        }
        else
            scope = rooms.MembershipsOf(user.Key).Select(r => r.Name).ToArray();

        // Last, so that a malformed search costs no budget.
        if (!Budget.TryTake(user.Key, time.Milliseconds(), out long retryAfterMs))
        {
            metrics.SearchRateLimited();
            session.SendError(ChatErrorCode.RateLimited, "too many searches; slow down", command.Ref, retryAfterMs);
            return;
        }
        // One more than asked tells whether there is more to page through.
        IReadOnlyList<MessageRecord> found = await metrics.StoreSearch.TimedAsync(() =>
            store.SearchMessagesAsync(query, scope, command.User, command.Before, limit + 1));
        metrics.Searched();
        bool more = found.Count > limit;
        session.Send(ServerMessages.SearchResults(command.Query, query, more ? found.Take(limit).ToList() : found, more, command.Ref));
    }
}
