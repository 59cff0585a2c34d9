using System.Collections.Frozen;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat;

/// <summary>Who may send a command: anyone (before login too), any logged-in user, moderators and admins, admins.</summary>
internal enum CommandAccess : byte { Anyone, User, Moderator, Admin }

/// <summary>
/// What a command refused by the rate limit gets: an <c>error</c> with <c>retryAfterMs</c>, or — for a best-effort
/// notification such as <c>typing</c> — nothing at all.
/// </summary>
internal enum RateClass : byte { Answered, BestEffort }

/// <summary>One command of <c>rawsocketchat.v1</c>, declared once: its name, who may send it, and what it does.</summary>
/// <param name="Handle">Runs the command; the user is null only for <see cref="CommandAccess.Anyone"/>.</param>
internal sealed record CommandSpec(string Type, CommandAccess Access, RateClass Rate, Func<ChatService, ChatSession, ChatUser?, ChatCommand, Task> Handle);

/// <summary>
/// The table of commands. Dispatch, the answer to a command sent before login (<c>not_logged_in</c>) or above one's
/// role (<c>forbidden</c>), <c>unknown_type</c>, and the rate limit's treatment of a command all read it; a test
/// checks it against the commands docs/protocol.md documents. A new command is one line here and its handler.
/// </summary>
public sealed partial class ChatService
{
    internal static readonly FrozenDictionary<string, CommandSpec> Commands = new CommandSpec[]
    {
        // Accounts: before login, except logout.
        new("login", CommandAccess.Anyone, RateClass.Answered,
            (chat, session, _, command) => command.Password is null ? chat.GuestLoginAsync(session, command) : chat.PasswordLoginAsync(session, command)),
        new("register", CommandAccess.Anyone, RateClass.Answered, (chat, session, _, command) => chat.RegisterAsync(session, command)),
        new("resume", CommandAccess.Anyone, RateClass.Answered, (chat, session, _, command) => chat.ResumeAsync(session, command)),
        new("logout", CommandAccess.User, RateClass.Answered, (chat, session, _, command) => chat.LogoutAsync(session, command)),

        // Rooms and messages.
        new("rooms", CommandAccess.Anyone, RateClass.Answered, (chat, session, _, command) => chat.ListRooms(session, command)),
        new("create", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.CreateAsync(session, user!, command)),
        new("join", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.JoinAsync(session, user!, command)),
        new("leave", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.LeaveAsync(session, user!, command)),
        new("send", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.SendAsync(session, user!, command)),
        new("history", CommandAccess.User, RateClass.Answered, (chat, session, _, command) => chat.HistoryAsync(session, command)),
        new("typing", CommandAccess.User, RateClass.BestEffort, (chat, session, user, command) => chat.Typing(session, user!, command)),
        new("edit", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.EditAsync(session, user!, command)),
        // Anyone's own messages; a moderator's of others too — the rank rule is the handler's, per message.
        new("delete", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.DeleteAsync(session, user!, command)),
        new("dm", CommandAccess.User, RateClass.Answered, (chat, session, user, command) => chat.DirectMessageAsync(session, user!, command)),

        // Moderation.
        new("mute", CommandAccess.Moderator, RateClass.Answered, (chat, session, user, command) => chat.MuteAsync(session, user!, command)),
        new("unmute", CommandAccess.Moderator, RateClass.Answered, (chat, session, user, command) => chat.UnmuteAsync(session, user!, command)),
        new("kick", CommandAccess.Moderator, RateClass.Answered, (chat, session, user, command) => chat.KickAsync(session, user!, command)),
        new("ban", CommandAccess.Moderator, RateClass.Answered, (chat, session, user, command) => chat.BanAsync(session, user!, command)),
        new("unban", CommandAccess.Moderator, RateClass.Answered, (chat, session, user, command) => chat.UnbanAsync(session, user!, command)),
        new("sanctions", CommandAccess.Moderator, RateClass.Answered, (chat, session, _, command) => chat.ListSanctions(session, command)),
        new("grant", CommandAccess.Admin, RateClass.Answered, (chat, session, user, command) => chat.SetRoleAsync(session, user!, command, Role.Moderator)),
        new("revoke", CommandAccess.Admin, RateClass.Answered, (chat, session, user, command) => chat.SetRoleAsync(session, user!, command, Role.Member)),
        new("audit", CommandAccess.Admin, RateClass.Answered, (chat, session, _, command) => chat.AuditAsync(session, command)),
        new("stats", CommandAccess.Admin, RateClass.Answered, (chat, session, _, command) => chat.StatsAsync(session, command)),
    }.ToFrozenDictionary(c => c.Type, StringComparer.Ordinal);

    /// <summary>Looks the command up and checks who sent it; every refusal is answered here, once for all commands.</summary>
    private Task DispatchAsync(ChatSession session, ChatCommand command)
    {
        if (!Commands.TryGetValue(command.Type, out CommandSpec? spec))
        {
            session.SendError(ChatErrorCode.UnknownType, $"unknown type '{command.Type}'", command.Ref);
            return Task.CompletedTask;
        }
        ChatUser? user = session.User;
        string? refusal = (spec.Access, user) switch
        {
            (CommandAccess.Anyone, _) => null,
            (_, null) => "log in first",
            (CommandAccess.Moderator, { CanModerate: false }) => "only moderators and admins may do this",
            (CommandAccess.Admin, { IsAdmin: false }) => "only admins may do this",
            _ => null,
        };
        if (refusal is not null)
        {
            session.SendError(user is null ? ChatErrorCode.NotLoggedIn : ChatErrorCode.Forbidden, refusal, command.Ref);
            return Task.CompletedTask;
        }
        return spec.Handle(this, session, user, command);
    }

    /// <summary>True for a command whose refusal by the rate limit is not worth an answer (<see cref="RateClass.BestEffort"/>).</summary>
    private static bool IsBestEffort(ChatCommand? command) =>
        command is not null && Commands.TryGetValue(command.Type, out CommandSpec? spec) && spec.Rate == RateClass.BestEffort;
}
