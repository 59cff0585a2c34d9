using RawSocketChat.Chat.Commands;
using RawSocketChat.Chat.Messages;
using RawSocketChat.Chat.Moderation;
using RawSocketChat.Chat.Rooms;
using static RawSocketChat.Chat.Checks;

namespace RawSocketChat.Chat.Direct;

/// <summary>
/// Direct messages: <c>dm</c>. A conversation is a room only its two users can see (<see cref="Conversations"/>);
/// once it is open, the message goes the way of any room's, with the same ordering and history guarantees.
/// </summary>
internal sealed class DirectModule(Conversations conversations, MessagesModule messages, ISanctions sanctions, TimeProvider time)
{
    public async Task DirectMessageAsync(ChatSession session, ChatUser user, DirectCommand command)
    {
        if (!Require(session, command.Ref, command.To, "to") || !Require(session, command.Ref, command.Text, "text"))
            return;
        string to = command.To!;
        if (!CheckName(session, command.Ref, to))
            return;
        if (NameRules.Key(to) == user.Key)
        {
            session.SendError(ChatErrorCode.BadRequest, "a direct message needs someone else", command.Ref);
            return;
        }
        if (sanctions.RefuseIfMuted(session, user, command.Ref, time.UtcNow()) || messages.CheckText(session, command.Ref, command.Text!) is not { } text)
            return;
        if (await conversations.FindRecipientAsync(to) is not { } recipient)
        {
            session.SendError(ChatErrorCode.NoSuchUser, $"no user '{to}' (registered, or a guest online now)", command.Ref);
            return;
        }

        Room room = await conversations.FindOrCreateAsync(user, recipient);
        if (await messages.ResolveReplyAsync(session, command.Ref, command.ReplyTo, room) is not { } reply)
            return;
        await conversations.OpenAsync(room, user, recipient.Key, recipient);
        await messages.EnqueueAsync(session, user, room, text, command.Ref, reply.Parent);
    }
}
