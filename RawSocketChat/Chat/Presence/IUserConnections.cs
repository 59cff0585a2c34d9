namespace RawSocketChat.Chat.Presence;

/// <summary>
/// "The connections of user X": what reaches a user wherever they are logged in — a ban closes all of them, a mute
/// or a new role is told to each, a direct message joins each to the conversation — and "everyone", for the room
/// list feed. One of the chat's seams: today <see cref="UserConnections"/>, one process's index; in a cluster, each
/// node keeps its own connections and the seam forwards what is for a user to the nodes that hold them.
/// </summary>
public interface IUserConnections
{
    /// <summary>Indexes a connection under its user, once it is logged in (after <see cref="ChatSession.User"/> is set).</summary>
    void Attach(ChatSession session, ChatUser user);

    void Detach(ChatSession session, ChatUser user);

    /// <summary>
    /// A snapshot of the connections logged in as <paramref name="userKey"/>. One may have logged out since: callers
    /// check <see cref="ChatSession.User"/> again before acting for that user.
    /// </summary>
    ChatSession[] Of(string userKey);

    /// <summary>Sends one message to every connection still logged in as <paramref name="userKey"/>.</summary>
    void SendToUser(string userKey, ReadOnlySpan<byte> json);

    /// <summary>Sends one message to every logged-in connection.</summary>
    void SendToEveryone(ReadOnlySpan<byte> json);
}

/// <summary>The in-process <see cref="IUserConnections"/>: a dictionary of lists under one lock.</summary>
public sealed class UserConnections : IUserConnections
{
    private readonly Dictionary<string, List<ChatSession>> _byUser = new(StringComparer.Ordinal);

    public void Attach(ChatSession session, ChatUser user)
    {
        lock (_byUser)
        {
            if (!_byUser.TryGetValue(user.Key, out List<ChatSession>? connections))
                _byUser[user.Key] = connections = [];
            connections.Add(session);
        }
    }

    public void Detach(ChatSession session, ChatUser user)
    {
        lock (_byUser)
        {
            if (_byUser.TryGetValue(user.Key, out List<ChatSession>? connections) && connections.Remove(session) && connections.Count == 0)
                _byUser.Remove(user.Key);
        }
    }

    public ChatSession[] Of(string userKey)
    {
        lock (_byUser)
            return _byUser.TryGetValue(userKey, out List<ChatSession>? connections) ? [.. connections] : [];
    }

    public void SendToUser(string userKey, ReadOnlySpan<byte> json)
    {
        foreach (ChatSession session in Of(userKey))
            if (session.User?.Key == userKey)
                session.Send(json);
    }

    public void SendToEveryone(ReadOnlySpan<byte> json)
    {
        ChatSession[] everyone;
        // Sent outside the lock: a send never blocks, but a login should not wait for a thousand of them.
        lock (_byUser)
            everyone = [.. _byUser.Values.SelectMany(c => c)];
        foreach (ChatSession session in everyone)
            session.Send(json);
    }
}
