using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Chat.Rooms;
using RawSocketChat.Diagnostics;
using RawSocketChat.Storage;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Messages;

/// <summary>
/// Reactions: <c>react</c> and <c>unreact</c>. A change is stored first and told after, under the room's
/// <see cref="Room.Mutations"/> gate like edits and deletes, so the room's recent-history cache and every member see
/// a message's reactions change in the order the store did. What goes out is the message's whole set of reactions
/// (<c>reactions</c>), not a delta: a client that missed one event is right again at the next.
/// <para>
/// A reaction is one per user per emoji, on a live message of a room the connection joined, at most
/// <see cref="ChatSettings.MaxReactionEmoji"/> distinct emoji per message. The muted cannot react (it is speech, if
/// small) but can take a reaction back. A moderator can remove anyone's of a lower rank; that is moderation and goes
/// to the audit log.
/// </para>
/// </summary>
internal sealed class ReactionsModule(ChatSettings settings, IChatStore store, Log log, ServerMetrics metrics, IRoomLookup lookup,
    IRoomFanout fanout, ISanctions sanctions, IModerationLog moderationLog, TimeProvider time)
{
    public Task ReactAsync(ChatSession session, ChatUser user, ReactionCommand command) =>
        ChangeAsync(session, user, command, async (room, message) =>
        {
            if (sanctions.RefuseIfMuted(session, user, command.Ref, time.UtcNow()))
                return;
            var reaction = new ReactionRecord(command.Emoji!, user.Name, user.IsGuest, Millis(time.UtcNow()));
            ReactionOutcome outcome = await metrics.StoreWrite.TimedAsync(() => store.AddReactionAsync(message.Id, reaction, settings.MaxReactionEmoji));
            if (outcome.Status == ReactionStatus.TooManyEmoji)
            {
                session.SendError(ChatErrorCode.TooManyReactions,
                    $"a message takes at most {settings.MaxReactionEmoji} different reactions; add yours to one it has", command.Ref);
                return;
            }
            if (outcome.Status == ReactionStatus.Changed)
                metrics.ReactionAdded();
            Finish(session, room, command, outcome);
        });

    public Task UnreactAsync(ChatSession session, ChatUser user, ReactionCommand command) =>
        ChangeAsync(session, user, command, async (room, message) =>
        {
            // Someone else's reaction: only a moderator, only of a lower rank. A name may have reacted as a guest and,
            // later, as an account: the account's goes first, then the guest's.
            bool own = command.User is null || NameRules.Key(command.User) == user.Key;
            ReactionOutcome outcome;
            if (own)
                outcome = await RemoveAsync(message, command.Emoji!, user.Name, user.IsGuest);
            else
            {
                if (!user.CanModerate)
                {
                    session.SendError(ChatErrorCode.Forbidden, "you can only take back your own reactions", command.Ref);
                    return;
                }
                UserRecord? account = await store.FindUserAsync(command.User!);
                if (account is not null && !user.Outranks(account.Role))
                {
                    session.SendError(ChatErrorCode.Forbidden, $"a {user.Role.ToWire()} cannot remove a {account.Role.ToWire()}'s reaction", command.Ref);
                    return;
                }
                outcome = account is null ? new ReactionOutcome(ReactionStatus.Unchanged, message) : await RemoveAsync(message, command.Emoji!, account.Name, guest: false);
                if (outcome.Status == ReactionStatus.Unchanged && outcome.Message is not null)
                    outcome = await RemoveAsync(message, command.Emoji!, command.User!, guest: true);
                if (outcome.Status == ReactionStatus.Changed)
                {
                    // The log names the reactor as the message showed them, not as the moderator typed the name.
                    string target = message.Reactions?.Items.FirstOrDefault(r => r.Emoji == command.Emoji)?.Users
                        .FirstOrDefault(u => NameRules.Key(u) == NameRules.Key(command.User!)) ?? command.User!;
                    await moderationLog.LogAsync(ModerationAction.Unreact, user, target, room: room.Name, messageId: message.Id, reason: command.Emoji);
                }
            }
            if (outcome.Status == ReactionStatus.Changed)
                metrics.ReactionRemoved();
            Finish(session, room, command, outcome);
        });

    private Task<ReactionOutcome> RemoveAsync(MessageRecord message, string emoji, string name, bool guest) =>
        metrics.StoreWrite.TimedAsync(() => store.RemoveReactionAsync(message.Id, emoji, name, guest));

    /// <summary>The checks both commands share, then <paramref name="change"/> on the live message, inside the room's mutation gate.</summary>
    private async Task ChangeAsync(ChatSession session, ChatUser user, ReactionCommand command, Func<Room, MessageRecord, Task> change)
    {
        if (!Require(session, command.Ref, command.Room, "room") || !Require(session, command.Ref, command.Id, "id")
            || !Require(session, command.Ref, command.Emoji, "emoji") || !MessagesModule.CheckMessageId(session, command.Ref, command.Id)
            || (command.User is not null && !CheckName(session, command.Ref, command.User)))
            return;
        if (!EmojiRules.IsEmoji(command.Emoji))
        {
            session.SendError(ChatErrorCode.InvalidEmoji, "'emoji' must be one emoji", command.Ref);
            return;
        }
        if (lookup.Joined(session, command.Ref, command.Room) is not { } room)
            return;

        // Loaded first, so that a load cannot read the old reactions after the change and cache them.
        await room.EnsureLoadedAsync(store);
        await room.Mutations.WaitAsync();
        try
        {
            if (await MessagesModule.FindLiveMessageAsync(store, session, command.Ref, command.Id!, room) is not { } message)
                return;
            await change(room, message);
        }
        finally
        {
            room.Mutations.Release();
        }
    }

    /// <summary>
    /// A change goes to the room, then the ack; a repeat that changed nothing is acked as a duplicate and tells nobody
    /// (a client retrying after a reconnect is simply told "done"). A message deleted in between is no such message.
    /// </summary>
    private void Finish(ChatSession session, Room room, ReactionCommand command, ReactionOutcome outcome)
    {
        if (outcome.Message is not { } message)
        {
            MessagesModule.SendNoSuchMessage(session, command.Ref, command.Id!, room);
            return;
        }
        bool changed = outcome.Status == ReactionStatus.Changed;
        if (changed)
            fanout.Reacted(room, message);
        session.Send(ServerMessages.Ack(command.Ref, message.Id, duplicate: !changed));
        log.Debug($"chat {(changed ? "" : "repeated ")}reaction id={session.Id} room={room.Name} message={message.Id} emoji={command.Emoji}");
    }
}
