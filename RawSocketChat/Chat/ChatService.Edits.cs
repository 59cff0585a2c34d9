using System.Diagnostics;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>
/// Editing and deleting messages. Both write to the store first and tell the room after, under the room's
/// <see cref="Room.Mutations"/> gate, so the room's recent-history cache and the store agree on the latest version;
/// the change reaches every connection in the room (<c>edited</c>, <c>deleted</c>), then the requester gets an
/// <c>ack</c>: stored.
/// </summary>
public sealed partial class ChatService
{
    private async Task EditAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        if (!Require(session, command, command.Room, "room") || !Require(session, command, command.Id, "id")
            || !Require(session, command, command.Text, "text") || !CheckMessageId(session, command)
            || FindRoom(session, command) is not { } room || IsMuted(session, user, command))
            return;
        string? text = TextRules.Normalize(command.Text!, _settings.MaxTextLength, out string? code, out string? message);
        if (text is null)
        {
            session.SendError(code!, message!, command.Ref);
            return;
        }

        // Loaded first, so that a load cannot read the old text after the edit and cache it.
        await room.EnsureLoadedAsync(_store);
        await room.Mutations.WaitAsync();
        try
        {
            if (await FindLiveMessageAsync(session, command, room) is not { } original)
                return;
            if (!IsAuthor(original, user))
            {
                session.SendError(ChatErrorCode.Forbidden, "you can only edit your own messages", command.Ref);
                return;
            }
            long started = Stopwatch.GetTimestamp();
            MessageRecord? edited = await _store.EditMessageAsync(original.Id, text, DateTime.UtcNow);
            _metrics.StoreWrite.ObserveSince(started);
            if (edited is null)
            {
                SendNoSuchMessage(session, command);
                return;
            }
            room.ApplyEdit(edited);
            session.Send(ServerMessages.Ack(command.Ref, edited.Id, duplicate: false));
            _log.Debug($"chat edit id={session.Id} user={user.Name} room={room.Name} message={edited.Id}");
        }
        finally
        {
            room.Mutations.Release();
        }
    }

    private async Task DeleteAsync(ChatSession session, ChatUser user, ChatCommand command)
    {
        // A reason is for moderation: checked always, used (and logged) only when the message is someone else's.
        if (!Require(session, command, command.Room, "room") || !Require(session, command, command.Id, "id")
            || !CheckMessageId(session, command) || !CheckReason(session, command, out string? reason)
            || FindRoom(session, command) is not { } room)
            return;

        await room.EnsureLoadedAsync(_store);
        await room.Mutations.WaitAsync();
        try
        {
            if (await FindLiveMessageAsync(session, command, room) is not { } original)
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
            DateTime now = DateTime.UtcNow;
            long started = Stopwatch.GetTimestamp();
            MessageRecord? deleted = await _store.DeleteMessageAsync(original.Id, now, own ? null : user.Name);
            _metrics.StoreWrite.ObserveSince(started);
            if (deleted is null)
            {
                SendNoSuchMessage(session, command);
                return;
            }
            room.ApplyDelete(deleted, user.Name, own ? null : reason);
            // Someone else's message: that is moderation, and goes to the audit log (with the reason, without the text).
            if (!own)
                await LogModerationAsync(ModerationAction.Delete, user, original.User, room: room.Name, messageId: original.Id, reason: reason);
            session.Send(ServerMessages.Ack(command.Ref, deleted.Id, duplicate: false));
            _log.Info($"chat delete id={session.Id} user={user.Name} room={room.Name} message={deleted.Id} author={original.User}");
        }
        finally
        {
            room.Mutations.Release();
        }
    }

    /// <summary>The message, when it exists in this room and is not deleted; otherwise <c>no_such_message</c> was sent.</summary>
    private async Task<MessageRecord?> FindLiveMessageAsync(ChatSession session, ChatCommand command, Room room)
    {
        MessageRecord? message = await _store.FindMessageAsync(command.Id!);
        if (message is null || message.Deleted || NameRules.Key(message.Room) != room.Key)
        {
            SendNoSuchMessage(session, command);
            return null;
        }
        return message;
    }

    private static void SendNoSuchMessage(ChatSession session, ChatCommand command) =>
        session.SendError(ChatErrorCode.NoSuchMessage, $"no message '{command.Id}' in '{command.Room}'", command.Ref);

    private static bool CheckMessageId(ChatSession session, ChatCommand command)
    {
        if (MessageIdGenerator.IsValid(command.Id))
            return true;
        session.SendError(ChatErrorCode.BadRequest, "'id' must be a message id", command.Ref);
        return false;
    }

    /// <summary>The author's rank now: a guest's message is a guest's; a registered author's is their account's.</summary>
    private async Task<Role> AuthorRoleAsync(MessageRecord message) =>
        message.Guest ? Role.Guest : (await _store.FindUserAsync(message.User))?.Role ?? Role.Member;

    /// <summary>Messages belong to a name, and a guest's messages to the guest name: the same rule as refs.</summary>
    private static bool IsAuthor(MessageRecord message, ChatUser user) =>
        NameRules.Key(message.User) == user.Key && message.Guest == user.IsGuest;
}
