using System.Threading.Channels;
using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Direct;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using RawSocketChat.Transport;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Messages;

/// <summary>
/// Messages: <c>send</c> (a reply too), <c>history</c>, <c>edit</c>, <c>delete</c>. Owns the <see cref="MessageWriter"/> that
/// stores messages in batches.
/// <para>
/// A message's life: <c>send</c> is checked here and queued to the writer — the connection goes back to reading at
/// once. The writer gives it an id, commits it with whatever else was queued, and calls <see cref="OnCommitted"/>,
/// which hands it to the room's fan-out (every member, sender included) and then acks the sender. So an ack means
/// "stored", and everyone sees a room's messages in id order.
/// </para>
/// <para>
/// Edits and deletes write to the store first and tell the room after, under the room's <see cref="Room.Mutations"/>
/// gate, so the room's recent-history cache and the store agree on the latest version; the change reaches every
/// connection in the room (<c>edited</c>, <c>deleted</c>), then the requester gets an <c>ack</c>: stored.
/// </para>
/// </summary>
/// <summary>What a message replies to, once checked: <see cref="Parent"/> is null for a message that replies to nothing.</summary>
internal readonly record struct ReplyTarget(ReplyParent? Parent);

internal sealed class MessagesModule
{
    /// <summary>The most messages one <c>history</c> page returns.</summary>
    public const int HistoryPageLimit = 100;

    private readonly ChatSettings _settings;
    private readonly IChatStore _store;
    private readonly Log _log;
    private readonly ServerMetrics _metrics;
    private readonly RoomRegistry _rooms;
    private readonly IRoomLookup _lookup;
    private readonly IRoomFanout _fanout;
    private readonly ISanctions _sanctions;
    private readonly Conversations _conversations;
    private readonly IModerationLog _moderationLog;
    private readonly TimeProvider _time;

    public MessagesModule(ChatSettings settings, IChatStore store, Log log, ServerMetrics metrics, MessageIdGenerator ids, RoomRegistry rooms,
        IRoomLookup lookup, IRoomFanout fanout, ISanctions sanctions, Conversations conversations, IModerationLog moderationLog, TimeProvider time)
    {
        _time = time;
        _settings = settings;
        _store = store;
        _log = log;
        _metrics = metrics;
        _rooms = rooms;
        _lookup = lookup;
        _fanout = fanout;
        _sanctions = sanctions;
        _conversations = conversations;
        _moderationLog = moderationLog;
        Writer = new MessageWriter(store, ids, OnCommitted, e => _log.Error("storing messages failed", e),
            clock: time.UtcNow, onAppendTime: metrics.StoreAppend.ObserveTicks);
    }

    public MessageWriter Writer { get; }

    // ---- New messages ----

    public async Task SendAsync(ChatSession session, ChatUser user, SendCommand command)
    {
        if (_lookup.Joined(session, command.Ref, command.Room) is not { } room || !Require(session, command.Ref, command.Text, "text")
            || _sanctions.RefuseIfMuted(session, user, command.Ref, _time.UtcNow()))
            return;
        if (CheckText(session, command.Ref, command.Text!) is not { } text)
            return;
        if (await ResolveReplyAsync(session, command.Ref, command.ReplyTo, room) is not { } reply)
            return;
        if (room.IsDirect)
            await _conversations.OpenAsync(room, user, DirectRooms.OtherOf(room.Key, user.Key)!);
        await EnqueueAsync(session, user, room, text, command.Ref, reply.Parent);
    }

    /// <summary>
    /// The parent a reply names, checked: a live message of this room (a target with no parent when the message
    /// replies to nothing); null when it is refused, and the error was sent. One level deep, like Slack's and Zulip's
    /// quote replies: a reply to a reply quotes that reply, not the conversation above it.
    /// </summary>
    public async Task<ReplyTarget?> ResolveReplyAsync(ChatSession session, string? reference, string? replyTo, Room room)
    {
        if (replyTo is null)
            return new ReplyTarget(null);
        if (!MessageIdGenerator.IsValid(replyTo))
        {
            session.SendError(ChatErrorCode.BadRequest, "'replyTo' must be a message id", reference);
            return null;
        }
        if (await FindLiveMessageAsync(session, reference, replyTo, room) is not { } original)
            return null;
        return new ReplyTarget(ReplyParent.Of(original));
    }

    /// <summary>The text as it will be stored (normalized), or null when it is refused (and the error was sent).</summary>
    public string? CheckText(ChatSession session, string? reference, string given)
    {
        string? text = TextRules.Normalize(given, _settings.MaxTextLength, out string? code, out string? message);
        if (text is null)
            session.SendError(code!, message!, reference);
        return text;
    }

    /// <summary>Hands a checked message to the writer; the broadcast and the ack come from <see cref="OnCommitted"/>.</summary>
    public async Task EnqueueAsync(ChatSession session, ChatUser user, Room room, string text, string? reference, ReplyParent? parent = null)
    {
        var pending = new PendingMessage(room.Name, user.Name, user.Color, text, reference, user.IsGuest, session)
        {
            ReplyTo = parent?.Id, Parent = parent, Mentions = Mentions.Resolve(text, user, room, _settings.MaxMentions),
        };
        try
        {
            // Completes at once unless the writer's queue is full; the ack comes from OnCommitted.
            await Writer.EnqueueAsync(pending);
        }
        catch (ChannelClosedException)
        {
            session.SendError(ChatErrorCode.InternalError, "the server is shutting down", reference);
        }
    }

    /// <summary>
    /// Called by the writer after each commit, with the batch in id order, on the writer's loop: publishing here, one
    /// message after the other, is what makes every member receive messages in id order.
    /// </summary>
    private void OnCommitted(IReadOnlyList<PendingMessage> batch)
    {
        // Every member gets the whole batch in one write rather than a race of one write per message.
        using var sends = WebSocketConnection.BatchSends();
        foreach (PendingMessage pending in batch)
        {
            var session = (ChatSession)pending.State!;
            if (pending.Result is not { } result)
            {
                session.SendError(pending.Error is StoreUnavailableException ? ChatErrorCode.StoreUnavailable : ChatErrorCode.InternalError,
                    "the message could not be stored; retry with the same ref", pending.Ref);
                continue;
            }
            if (result.Duplicate)
            {
                // The same ref again: a retry (after a reconnect, say) is acknowledged with the original id; a ref
                // reused for a different message is a client bug worth reporting rather than hiding. A message edited
                // or deleted since no longer has the text it was sent with: the room has to do.
                MessageRecord stored = result.Stored;
                if (NameRules.Key(stored.Room) == NameRules.Key(pending.Room)
                    && (stored.Text == pending.Text || stored.EditedAt is not null || stored.Deleted))
                    session.Send(ServerMessages.Ack(pending.Ref, result.Stored.Id, duplicate: true));
                else
                    session.SendError(ChatErrorCode.RefConflict, "this ref was already used for a different message", pending.Ref);
                continue;
            }
            _metrics.ChatMessagesStored(1);
            if (_rooms.Find(result.Stored.Room) is { } room)
                _fanout.Published(room, result.Stored);
            session.Send(ServerMessages.Ack(pending.Ref, result.Stored.Id, duplicate: false));
        }
    }

    public async Task HistoryAsync(ChatSession session, HistoryCommand command)
    {
        if (_lookup.Joined(session, command.Ref, command.Room) is not { } room)
            return;
        if (command.Before is not null && !CheckMessageId(session, command.Ref, command.Before, "before"))
            return;
        int limit = command.Limit ?? RoomsModule.HistoryOnJoin;
        if (limit < 1)
        {
            session.SendError(ChatErrorCode.BadRequest, $"'limit' must be 1 to {HistoryPageLimit}", command.Ref);
            return;
        }
        limit = Math.Min(limit, HistoryPageLimit);
        // One more than asked tells whether there is more to page through.
        IReadOnlyList<MessageRecord> page = await _metrics.StoreRead.TimedAsync(() => _store.GetMessagesAsync(room.Name, command.Before, limit + 1));
        bool more = page.Count > limit;
        IReadOnlyList<MessageRecord> messages = more ? page.Skip(page.Count - limit).ToList() : page;
        session.Send(ServerMessages.History(room.Name, command.Before, messages, more, command.Ref));
    }

    // ---- Edits and deletes ----

    public async Task EditAsync(ChatSession session, ChatUser user, EditCommand command)
    {
        if (!Require(session, command.Ref, command.Room, "room") || !Require(session, command.Ref, command.Id, "id")
            || !Require(session, command.Ref, command.Text, "text") || !CheckMessageId(session, command.Ref, command.Id)
            || _lookup.Find(session, command.Ref, command.Room) is not { } room || _sanctions.RefuseIfMuted(session, user, command.Ref, _time.UtcNow()))
            return;
        if (CheckText(session, command.Ref, command.Text!) is not { } text)
            return;

        // Loaded first, so that a load cannot read the old text after the edit and cache it.
        await room.EnsureLoadedAsync(_store);
        await room.Mutations.WaitAsync();
        try
        {
            if (await FindLiveMessageAsync(session, command.Ref, command.Id!, room) is not { } original)
                return;
            if (!IsAuthor(original, user))
            {
                session.SendError(ChatErrorCode.Forbidden, "you can only edit your own messages", command.Ref);
                return;
            }
            MessageMentions? mentions = Mentions.Resolve(text, user, room, _settings.MaxMentions);
            MessageRecord? edited = await _metrics.StoreWrite.TimedAsync(() => _store.EditMessageAsync(original.Id, text, _time.UtcNow(), mentions));
            if (edited is null)
            {
                SendNoSuchMessage(session, command.Ref, command.Id!, room);
                return;
            }
            _fanout.Edited(room, edited);
            session.Send(ServerMessages.Ack(command.Ref, edited.Id, duplicate: false));
            _log.Debug($"chat edit id={session.Id} user={user.Name} room={room.Name} message={edited.Id}");
        }
        finally
        {
            room.Mutations.Release();
        }
    }

    public async Task DeleteAsync(ChatSession session, ChatUser user, DeleteCommand command)
    {
        // A reason is for moderation: checked always, used (and logged) only when the message is someone else's.
        if (!Require(session, command.Ref, command.Room, "room") || !Require(session, command.Ref, command.Id, "id")
            || !CheckMessageId(session, command.Ref, command.Id) || !CheckReason(session, command.Ref, command.Reason, out string? reason)
            || _lookup.Find(session, command.Ref, command.Room) is not { } room)
            return;

        await room.EnsureLoadedAsync(_store);
        await room.Mutations.WaitAsync();
        try
        {
            if (await FindLiveMessageAsync(session, command.Ref, command.Id!, room) is not { } original)
                return;
            bool own = IsAuthor(original, user);
            if (!own && !user.CanModerate)
            {
                session.SendError(ChatErrorCode.Forbidden, "you can only delete your own messages", command.Ref);
                return;
            }
            // Deleting someone else's message is moderation, with its one rule: only on a lower rank, so a moderator
            // deletes members' and guests' messages, an admin moderators' too, and nobody an admin's.
            if (!own && await AuthorRoleAsync(original) is var authorRole && !user.Outranks(authorRole))
            {
                session.SendError(ChatErrorCode.Forbidden, $"a {user.Role.ToWire()} cannot delete a {authorRole.ToWire()}'s message", command.Ref);
                return;
            }
            DateTime now = _time.UtcNow();
            MessageRecord? deleted = await _metrics.StoreWrite.TimedAsync(() => _store.DeleteMessageAsync(original.Id, now, own ? null : user.Name));
            if (deleted is null)
            {
                SendNoSuchMessage(session, command.Ref, command.Id!, room);
                return;
            }
            _fanout.Deleted(room, deleted, user.Name, own ? null : reason);
            // Someone else's message: that is moderation, and goes to the audit log (with the reason, without the text).
            if (!own)
                await _moderationLog.LogAsync(ModerationAction.Delete, user, original.User, room: room.Name, messageId: original.Id, reason: reason);
            session.Send(ServerMessages.Ack(command.Ref, deleted.Id, duplicate: false));
            _log.Info($"chat delete id={session.Id} user={user.Name} room={room.Name} message={deleted.Id} author={original.User}");
        }
        finally
        {
            room.Mutations.Release();
        }
    }

    private Task<MessageRecord?> FindLiveMessageAsync(ChatSession session, string? reference, string id, Room room) =>
        FindLiveMessageAsync(_store, session, reference, id, room);

    /// <summary>The message, when it exists in this room and is not deleted; otherwise <c>no_such_message</c> was sent.</summary>
    internal static async Task<MessageRecord?> FindLiveMessageAsync(IChatStore store, ChatSession session, string? reference, string id, Room room)
    {
        MessageRecord? message = await store.FindMessageAsync(id);
        if (message is null || message.Deleted || NameRules.Key(message.Room) != room.Key)
        {
            SendNoSuchMessage(session, reference, id, room);
            return null;
        }
        return message;
    }

    internal static void SendNoSuchMessage(ChatSession session, string? reference, string id, Room room) =>
        session.SendError(ChatErrorCode.NoSuchMessage, $"no message '{id}' in '{room.Name}'", reference);

    /// <summary>Whether <paramref name="id"/> has the form of a message id; otherwise <c>bad_request</c> naming <paramref name="field"/>.</summary>
    internal static bool CheckMessageId(ChatSession session, string? reference, string? id, string field = "id")
    {
        if (MessageIdGenerator.IsValid(id))
            return true;
        session.SendError(ChatErrorCode.BadRequest, $"'{field}' must be a message id", reference);
        return false;
    }

    /// <summary>The author's rank now: a guest's message is a guest's; a registered author's is their account's.</summary>
    private async Task<Role> AuthorRoleAsync(MessageRecord message) =>
        message.Guest ? Role.Guest : (await _store.FindUserAsync(message.User))?.Role ?? Role.Member;

    /// <summary>Messages belong to a name, and a guest's messages to the guest name: the same rule as refs.</summary>
    private static bool IsAuthor(MessageRecord message, ChatUser user) =>
        NameRules.Key(message.User) == user.Key && message.Guest == user.IsGuest;
}
