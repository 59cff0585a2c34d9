using RawSocketChat.Chat.Presence;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Rooms;

/// <summary>
/// One room in memory: its members, the connections that joined it (subscribers), the latest messages, and who was
/// typing when. Everything happens under one lock per room, and that lock is what gives the ordering guarantees:
/// <list type="bullet">
/// <item>A message is sent to every subscriber inside the lock, so two messages reach all members in the same
/// order. The writer publishes in id order, so that order is the id order.</item>
/// <item>A join takes the history snapshot and adds the subscriber in the same critical section, and sends
/// <c>joined</c> before leaving it: every message is either in that history or delivered live after it — never
/// both, never neither.</item>
/// </list>
/// Sending inside a lock is fine because <c>WebSocketConnection.Send</c> never blocks: it queues the frame, or drops
/// a peer whose queue is full.
/// </summary>
public sealed class Room
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ChatUser> _members = new(StringComparer.Ordinal);
    private readonly HashSet<ChatSession> _subscribers = [];
    // The latest messages as sent (Json) and as stored (Message, to write a reply again when its parent changes).
    private readonly List<(string Id, byte[] Json, MessageRecord Message)> _recent = [];
    private readonly Dictionary<string, long> _lastTyping = new(StringComparer.Ordinal);
    private readonly int _historyOnJoin;
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private volatile bool _loaded;

    private string? _topic;

    public Room(string name, IEnumerable<ChatUser> members, int historyOnJoin, bool isNew = false, string? createdBy = null, string? topic = null,
        bool isPrivate = false)
    {
        Name = name;
        IsPrivate = isPrivate;
        CreatedBy = createdBy;
        _topic = topic;
        Key = NameRules.Key(name);
        IsDirect = DirectRooms.IsDirect(name);
        _historyOnJoin = historyOnJoin;
        foreach (ChatUser member in members)
            _members[member.Key] = member;
        _loaded = isNew; // a room created just now has no history to load
    }

    public string Name { get; }
    public string Key { get; }

    /// <summary>Seen and joined only by its members, who are added by invitation (<c>invite</c>).</summary>
    public bool IsPrivate { get; }

    /// <summary>Who created the room (null for the lobby and direct conversations): with moderators, who may set its topic.</summary>
    public string? CreatedBy { get; }

    public string? Topic
    {
        get { lock (_lock) return _topic; }
    }

    /// <summary>A direct conversation of two users (<see cref="DirectRooms"/>), not a public room.</summary>
    public bool IsDirect { get; }

    /// <summary>
    /// Held while a message of this room is edited or deleted, from the store write to the broadcast, so the store
    /// and the recent-history cache see the changes of one message in the same order.
    /// </summary>
    public SemaphoreSlim Mutations { get; } = new(1, 1);

    public int MemberCount
    {
        get { lock (_lock) return _members.Count; }
    }

    public int SubscriberCount
    {
        get { lock (_lock) return _subscribers.Count; }
    }

    public bool IsMember(string userKey)
    {
        lock (_lock)
            return _members.ContainsKey(userKey);
    }

    /// <summary>The member with this key, as the room knows them (their name's spelling, their role); null for a non-member.</summary>
    public ChatUser? Member(string userKey)
    {
        lock (_lock)
            return _members.GetValueOrDefault(userKey);
    }

    /// <summary>The room's line in a room list, as <paramref name="userKey"/> sees it (null: before login).</summary>
    public RoomSummary Summary(IPresence presence, bool joined, string? userKey)
    {
        lock (_lock)
        {
            return new RoomSummary(Name, _members.Count, CountOnlineLocked(presence), joined,
                userKey is not null && _members.ContainsKey(userKey), IsPrivate);
        }
    }

    /// <summary>The counts of the room list, the same for everyone (<c>rooms_changed</c>).</summary>
    public (int Members, int Online) Counts(IPresence presence)
    {
        lock (_lock)
            return (_members.Count, CountOnlineLocked(presence));
    }

    private int CountOnlineLocked(IPresence presence)
    {
        int online = 0;
        foreach (string key in _members.Keys)
            if (presence.IsOnline(key))
                online++;
        return online;
    }

    /// <summary>
    /// Fills the recent-history cache from the store, once. Messages published before the load finished are kept:
    /// the two lists are merged by id.
    /// </summary>
    public async Task EnsureLoadedAsync(IChatStore store)
    {
        if (_loaded)
            return;
        await _loadGate.WaitAsync();
        try
        {
            if (_loaded)
                return;
            IReadOnlyList<MessageRecord> latest = await store.GetMessagesAsync(Name, null, _historyOnJoin);
            lock (_lock)
            {
                var merged = new SortedDictionary<string, (byte[], MessageRecord)>(StringComparer.Ordinal);
                foreach (MessageRecord message in latest)
                    merged[message.Id] = (ServerMessages.Message(message), message);
                foreach ((string id, byte[] json, MessageRecord message) in _recent)
                    merged[id] = (json, message);
                _recent.Clear();
                _recent.AddRange(merged.Skip(Math.Max(0, merged.Count - _historyOnJoin)).Select(p => (p.Key, p.Value.Item1, p.Value.Item2)));
                _loaded = true;
            }
        }
        finally
        {
            _loadGate.Release();
        }
    }

    /// <summary>
    /// Subscribes <paramref name="session"/> (making its user a member if needed) and sends it <c>joined</c>. Others
    /// get a <c>joined</c> presence event when the user is a new member. Returns whether the user is a new member.
    /// </summary>
    public bool Join(ChatSession session, ChatUser user, IPresence presence, int maxMembersListed, string? reference)
    {
        lock (_lock)
        {
            bool newMember = _members.TryAdd(user.Key, user);
            if (!newMember)
                _members[user.Key] = user; // keep color and role current
            _subscribers.Add(session);
            session.Rooms[Key] = this;

            var members = new List<MemberView>(Math.Min(_members.Count, maxMembersListed));
            int online = 0;
            foreach (ChatUser member in _members.Values)
            {
                bool isOnline = presence.IsOnline(member.Key);
                if (isOnline) online++;
                members.Add(new MemberView(member.Name, member.Color, member.Role, isOnline));
            }
            members.Sort(static (a, b) => a.Online != b.Online ? (a.Online ? -1 : 1) : string.CompareOrdinal(a.Name.ToLowerInvariant(), b.Name.ToLowerInvariant()));
            if (members.Count > maxMembersListed)
                members.RemoveRange(maxMembersListed, members.Count - maxMembersListed);

            session.Send(ServerMessages.Joined(Name, members, _members.Count, online, _recent.Select(m => m.Json), reference, _topic, CreatedBy, IsPrivate));
            if (newMember)
                SendToOthersLocked(ServerMessages.Presence(Name, user, "joined"), user.Key);
            return newMember;
        }
    }

    /// <summary>Stops delivering to one connection (it closed or logged out); membership is unchanged.</summary>
    public void Unsubscribe(ChatSession session)
    {
        lock (_lock)
        {
            _subscribers.Remove(session);
            session.Rooms.TryRemove(Key, out _);
        }
    }

    /// <summary>
    /// Ends a user's membership: every connection of that user in the room gets <c>left</c> and is unsubscribed
    /// (<paramref name="requester"/> gets it, with the ref, even when it had not joined on that connection), the
    /// others get a <c>left</c> presence event. False when the user was not a member.
    /// </summary>
    public bool Leave(ChatUser user, ChatSession? requester, string? reference)
    {
        lock (_lock)
        {
            if (!_members.Remove(user.Key))
                return false;
            _lastTyping.Remove(user.Key);
            foreach (ChatSession session in _subscribers.Where(s => s.User?.Key == user.Key || s == requester).ToList())
            {
                _subscribers.Remove(session);
                session.Rooms.TryRemove(Key, out _);
                if (session != requester)
                    session.Send(ServerMessages.Left(Name, null));
            }
            requester?.Send(ServerMessages.Left(Name, reference));
            SendToOthersLocked(ServerMessages.Presence(Name, user, "left"), user.Key);
            return true;
        }
    }

    /// <summary>Delivers a stored message to every subscriber and keeps it for the next joins. Serialized once.</summary>
    public void Publish(MessageRecord message)
    {
        // Serialized outside the lock, except a reply: it was checked against its parent before it was queued, and an
        // edit or delete of the parent since then is in the cache, which the quote must show — not what the sender saw.
        byte[]? json = message.ReplyTo is null ? ServerMessages.Message(message) : null;
        lock (_lock)
        {
            if (json is null)
            {
                if (FindRecentLocked(message.ReplyTo!) is { } parent)
                    message = message with { Parent = ReplyParent.Of(parent) };
                json = ServerMessages.Message(message);
            }
            _recent.Add((message.Id, json, message));
            if (_recent.Count > _historyOnJoin)
                _recent.RemoveRange(0, _recent.Count - _historyOnJoin);
            foreach (ChatSession session in _subscribers)
                session.Send(json);
        }
    }

    /// <summary>
    /// Makes a user a member without a connection joining (the recipient of a first direct message). The others get a
    /// <c>joined</c> presence event. False when the user was a member already.
    /// </summary>
    public bool AddMember(ChatUser user)
    {
        lock (_lock)
        {
            if (!_members.TryAdd(user.Key, user))
                return false;
            SendToOthersLocked(ServerMessages.Presence(Name, user, "joined"), user.Key);
            return true;
        }
    }

    /// <summary>Replaces a member's entry (a new role), when the user is a member.</summary>
    public void UpdateMember(ChatUser user)
    {
        lock (_lock)
            if (_members.ContainsKey(user.Key))
                _members[user.Key] = user;
    }

    /// <summary>
    /// Removes a member by a moderator's decision: every subscriber, the kicked user's connections included, gets
    /// <c>kicked</c>, then those connections are unsubscribed. Returns the member removed, or null when
    /// <paramref name="userKey"/> was not a member.
    /// </summary>
    public ChatUser? Kick(string userKey, string by, string? reason)
    {
        lock (_lock)
        {
            if (!_members.Remove(userKey, out ChatUser? user))
                return null;
            _lastTyping.Remove(userKey);
            ReadOnlySpan<byte> kicked = ServerMessages.Kicked(Name, user.Name, by, reason);
            foreach (ChatSession session in _subscribers)
                session.Send(kicked);
            foreach (ChatSession session in _subscribers.Where(s => s.User?.Key == userKey).ToList())
            {
                _subscribers.Remove(session);
                session.Rooms.TryRemove(Key, out _);
            }
            return user;
        }
    }

    /// <summary>
    /// A message of this room was edited: the cached copy (if it is among the recent ones) takes the new text, and
    /// every subscriber gets <c>edited</c> — in one critical section, so a join sees either the new text in its
    /// history or the event after it.
    /// </summary>
    public void ApplyEdit(MessageRecord edited)
    {
        lock (_lock)
        {
            ReplaceRecentLocked(edited);
            ReadOnlySpan<byte> update = ServerMessages.Edited(edited);
            foreach (ChatSession session in _subscribers)
                session.Send(update);
        }
    }

    /// <summary>
    /// A message of this room was deleted: the cached copy becomes a tombstone, every subscriber gets <c>deleted</c>.
    /// A moderator's <paramref name="reason"/> goes only to the subscribers who moderate: the others learn that a
    /// moderator deleted the message, not why.
    /// </summary>
    public void ApplyDelete(MessageRecord deleted, string by, string? reason)
    {
        byte[] update = ServerMessages.Deleted(deleted, by).ToArray();
        byte[] withReason = reason is null ? update : ServerMessages.Deleted(deleted, by, reason).ToArray();
        lock (_lock)
        {
            ReplaceRecentLocked(deleted);
            foreach (ChatSession session in _subscribers)
                session.Send(session.User is { CanModerate: true } ? withReason : update);
        }
    }

    /// <summary>
    /// The reactions of a message of this room changed: the cached copy takes them, and every subscriber gets
    /// <c>reactions</c> with the whole new set — one critical section, as for edits.
    /// </summary>
    public void ApplyReactions(MessageRecord message)
    {
        lock (_lock)
        {
            ReplaceRecentLocked(message);
            ReadOnlySpan<byte> update = ServerMessages.Reactions(message);
            foreach (ChatSession session in _subscribers)
                session.Send(update);
        }
    }

    /// <summary>
    /// The ids of the cached messages a deleted account leaves traces in: its own (not a guest's of the same name) and
    /// those it reacted to. The caller reads them again from the store and puts them back with <see cref="ReplaceRecent"/>.
    /// </summary>
    public IReadOnlyList<string> RecentInvolving(string userKey)
    {
        lock (_lock)
            return _recent.Where(r => !r.Message.Guest && NameRules.Key(r.Message.User) == userKey
                    || r.Message.Reactions?.Items.Any(reaction => reaction.Users.Any(u => NameRules.Key(u) == userKey)) == true)
                .Select(r => r.Id).ToList();
    }

    /// <summary>
    /// The cached copy of a message (and the quotes of the cached replies to it) takes the version read from the store,
    /// without telling anyone: for changes the clients learn of in one event of their own (<c>user_deleted</c>).
    /// The caller holds <see cref="Mutations"/>, so no edit or delete of the message can land in between.
    /// </summary>
    public void ReplaceRecent(MessageRecord stored)
    {
        lock (_lock)
            ReplaceRecentLocked(stored);
    }

    private MessageRecord? FindRecentLocked(string id)
    {
        for (int i = _recent.Count - 1; i >= 0; i--)
            if (_recent[i].Id == id)
                return _recent[i].Message;
        return null;
    }

    /// <summary>
    /// The cached copy of a changed message takes its new version, and so do the cached replies to it: their quote is
    /// the parent as it is now (edited, or deleted and without text). Clients update the replies they hold themselves,
    /// from the same <c>edited</c> and <c>deleted</c>.
    /// </summary>
    private void ReplaceRecentLocked(MessageRecord changed)
    {
        ReplyParent parent = ReplyParent.Of(changed);
        for (int i = 0; i < _recent.Count; i++)
        {
            (string id, _, MessageRecord message) = _recent[i];
            if (id == changed.Id)
                _recent[i] = (id, ServerMessages.Message(changed), changed);
            else if (message.ReplyTo == changed.Id && message.Parent != parent)
            {
                MessageRecord reply = message with { Parent = parent };
                _recent[i] = (id, ServerMessages.Message(reply), reply);
            }
        }
    }

    /// <summary>A new topic (null: none), already stored: every subscriber gets <c>topic</c>, and later joins carry it.</summary>
    public void SetTopic(string? topic, string by)
    {
        lock (_lock)
        {
            _topic = topic;
            ReadOnlySpan<byte> update = ServerMessages.Topic(Name, topic, by);
            foreach (ChatSession session in _subscribers)
                session.Send(update);
        }
    }

    /// <summary>Tells the subscribers (except the user's own connections) that a member came online or went offline.</summary>
    public void AnnouncePresence(ChatUser user, string @event)
    {
        lock (_lock)
        {
            if (_subscribers.Count > 0)
                SendToOthersLocked(ServerMessages.Presence(Name, user, @event), user.Key);
        }
    }

    /// <summary>
    /// Relays a typing notification to the other subscribers, at most once per user per <paramref name="intervalMs"/>;
    /// returns false when it was throttled.
    /// </summary>
    public bool Typing(ChatUser user, long nowMs, long intervalMs)
    {
        lock (_lock)
        {
            if (_lastTyping.TryGetValue(user.Key, out long last) && nowMs - last < intervalMs)
                return false;
            _lastTyping[user.Key] = nowMs;
            if (_lastTyping.Count > 4 * Math.Max(16, _members.Count))
                PruneTypingLocked(nowMs, intervalMs);
            SendToOthersLocked(ServerMessages.Typing(Name, user), user.Key);
            return true;
        }
    }

    private void PruneTypingLocked(long nowMs, long intervalMs)
    {
        foreach (string key in _lastTyping.Where(e => nowMs - e.Value >= intervalMs).Select(e => e.Key).ToList())
            _lastTyping.Remove(key);
    }

    private void SendToOthersLocked(ReadOnlySpan<byte> json, string exceptUserKey)
    {
        foreach (ChatSession session in _subscribers)
            if (session.User?.Key != exceptUserKey)
                session.Send(json);
    }
}
