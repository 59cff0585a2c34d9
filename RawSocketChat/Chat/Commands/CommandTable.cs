using System.Collections.Frozen;
using RawSocketChat.Storage;

namespace RawSocketChat.Chat.Commands;

/// <summary>Who may send a command: anyone (before login too), any logged-in user, moderators and admins, admins.</summary>
internal enum CommandAccess : byte { Anyone, User, Moderator, Admin }

/// <summary>
/// What a command refused by the rate limit gets: an <c>error</c> with <c>retryAfterMs</c>, or — for a best-effort
/// notification such as <c>typing</c> — nothing at all.
/// </summary>
internal enum RateClass : byte { Answered, BestEffort }

/// <summary>Builds the typed command of one type from the parsed fields.</summary>
internal delegate T CommandBinder<out T>(in CommandFields fields) where T : Command;

/// <summary>One command of <c>rawsocketchat.v1</c>, declared once: its name, who may send it, and what it does.</summary>
internal abstract class CommandSpec(string type, CommandAccess access, RateClass rate)
{
    public string Type { get; } = type;
    public CommandAccess Access { get; } = access;
    public RateClass Rate { get; } = rate;

    /// <summary>Binds the fields into this type's command and runs its handler; the user is null only for <see cref="CommandAccess.Anyone"/>.</summary>
    public abstract Task RunAsync(ChatModules modules, ChatSession session, ChatUser? user, in CommandFields fields);
}

internal sealed class CommandSpec<T>(string type, CommandAccess access, RateClass rate, CommandBinder<T> bind,
    Func<ChatModules, ChatSession, ChatUser?, T, Task> handle) : CommandSpec(type, access, rate) where T : Command
{
    public override Task RunAsync(ChatModules modules, ChatSession session, ChatUser? user, in CommandFields fields) =>
        handle(modules, session, user, bind(in fields));
}

/// <summary>
/// The table of commands. Dispatch, the answer to a command sent before login (<c>not_logged_in</c>) or above one's
/// role (<c>forbidden</c>), <c>unknown_type</c>, and the rate limit's treatment of a command all read it; a test
/// checks it against the commands docs/protocol.md documents. A new command is one line here, its typed command
/// (<see cref="Command"/>) and its handler in the module it belongs to.
/// </summary>
internal static class CommandTable
{
    public static readonly FrozenDictionary<string, CommandSpec> All = new CommandSpec[]
    {
        // Accounts: before login, except logout.
        Spec("login", CommandAccess.Anyone, RateClass.Answered,
            (in CommandFields f) => new LoginCommand(f.Ref, f.Name, f.Password, f.Color), (m, s, _, c) => m.Accounts.LoginAsync(s, c)),
        Spec("register", CommandAccess.Anyone, RateClass.Answered,
            (in CommandFields f) => new RegisterCommand(f.Ref, f.Name, f.Password, f.Color, f.AdminSecret), (m, s, _, c) => m.Accounts.RegisterAsync(s, c)),
        Spec("resume", CommandAccess.Anyone, RateClass.Answered,
            (in CommandFields f) => new ResumeCommand(f.Ref, f.Token), (m, s, _, c) => m.Accounts.ResumeAsync(s, c)),
        Spec("logout", CommandAccess.User, RateClass.Answered, Plain, (m, s, _, c) => m.Accounts.LogoutAsync(s, c)),
        Spec("profile", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new ProfileCommand(f.Ref, f.Color, f.Name), (m, s, u, c) => m.Accounts.SetProfileAsync(s, u!, c)),
        Spec("password", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new PasswordCommand(f.Ref, f.Password, f.NewPassword), (m, s, u, c) => m.Accounts.ChangePasswordAsync(s, u!, c)),
        Spec("delete_account", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new DeleteAccountCommand(f.Ref, f.Password), (m, s, u, c) => m.Accounts.DeleteAccountAsync(s, u!, c)),

        // Rooms.
        Spec("rooms", CommandAccess.Anyone, RateClass.Answered, Plain, (m, s, _, c) => m.Rooms.ListRooms(s, c)),
        Spec("create", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new CreateCommand(f.Ref, f.Room, f.Private ?? false), (m, s, u, c) => m.Rooms.CreateAsync(s, u!, c)),
        // A member's, or a moderator's — the handler decides, per room.
        Spec("invite", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new InviteCommand(f.Ref, f.Room, f.User), (m, s, u, c) => m.Rooms.InviteAsync(s, u!, c)),
        Spec("join", CommandAccess.User, RateClass.Answered, OneRoom, (m, s, u, c) => m.Rooms.JoinAsync(s, u!, c)),
        Spec("leave", CommandAccess.User, RateClass.Answered, OneRoom, (m, s, u, c) => m.Rooms.LeaveAsync(s, u!, c)),
        // Its creator's, or a moderator's — the handler decides, per room.
        Spec("topic", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new TopicCommand(f.Ref, f.Room, f.Text), (m, s, u, c) => m.Rooms.SetTopicAsync(s, u!, c)),

        // Messages.
        Spec("send", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new SendCommand(f.Ref, f.Room, f.Text, f.ReplyTo), (m, s, u, c) => m.Messages.SendAsync(s, u!, c)),
        Spec("history", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new HistoryCommand(f.Ref, f.Room, f.Before, f.Limit), (m, s, _, c) => m.Messages.HistoryAsync(s, c)),
        Spec("edit", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new EditCommand(f.Ref, f.Room, f.Id, f.Text), (m, s, u, c) => m.Messages.EditAsync(s, u!, c)),
        // Anyone's own messages; a moderator's of others too — the rank rule is the handler's, per message.
        Spec("delete", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new DeleteCommand(f.Ref, f.Room, f.Id, f.Reason), (m, s, u, c) => m.Messages.DeleteAsync(s, u!, c)),
        Spec("react", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new ReactionCommand(f.Ref, f.Room, f.Id, f.Emoji), (m, s, u, c) => m.Reactions.ReactAsync(s, u!, c)),
        // One's own reaction; a moderator's removal of someone else's names them in 'user' (the rank rule is the handler's).
        Spec("unreact", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new ReactionCommand(f.Ref, f.Room, f.Id, f.Emoji, f.User), (m, s, u, c) => m.Reactions.UnreactAsync(s, u!, c)),
        Spec("read", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new ReadCommand(f.Ref, f.Room, f.Id), (m, s, u, c) => m.Reading.ReadAsync(s, u!, c)),
        Spec("unread", CommandAccess.User, RateClass.Answered, Plain, (m, s, u, c) => m.Reading.UnreadAsync(s, u!, c)),
        Spec("search", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new SearchCommand(f.Ref, f.Query, f.Room, f.User, f.Before, f.Limit), (m, s, u, c) => m.Search.SearchAsync(s, u!, c)),
        Spec("dm", CommandAccess.User, RateClass.Answered,
            (in CommandFields f) => new DirectCommand(f.Ref, f.To, f.Text, f.ReplyTo), (m, s, u, c) => m.Direct.DirectMessageAsync(s, u!, c)),

        // Presence.
        Spec("typing", CommandAccess.User, RateClass.BestEffort, OneRoom, (m, s, u, c) => m.Presence.Typing(s, u!, c)),

        // Moderation.
        Spec("mute", CommandAccess.Moderator, RateClass.Answered, Sanction, (m, s, u, c) => m.Moderation.MuteAsync(s, u!, c)),
        Spec("unmute", CommandAccess.Moderator, RateClass.Answered, OneUser, (m, s, u, c) => m.Moderation.UnmuteAsync(s, u!, c)),
        Spec("kick", CommandAccess.Moderator, RateClass.Answered,
            (in CommandFields f) => new KickCommand(f.Ref, f.Room, f.User, f.Reason), (m, s, u, c) => m.Moderation.KickAsync(s, u!, c)),
        Spec("ban", CommandAccess.Moderator, RateClass.Answered, Sanction, (m, s, u, c) => m.Moderation.BanAsync(s, u!, c)),
        Spec("unban", CommandAccess.Moderator, RateClass.Answered, OneUser, (m, s, u, c) => m.Moderation.UnbanAsync(s, u!, c)),
        Spec("sanctions", CommandAccess.Moderator, RateClass.Answered, Plain, (m, s, _, c) => m.Moderation.ListSanctions(s, c)),
        Spec("grant", CommandAccess.Admin, RateClass.Answered, OneUser, (m, s, u, c) => m.Moderation.SetRoleAsync(s, u!, c, Role.Moderator)),
        Spec("revoke", CommandAccess.Admin, RateClass.Answered, OneUser, (m, s, u, c) => m.Moderation.SetRoleAsync(s, u!, c, Role.Member)),
        Spec("reset", CommandAccess.Admin, RateClass.Answered, OneUser, (m, s, u, c) => m.Accounts.ResetPasswordAsync(s, u!, c)),
        Spec("audit", CommandAccess.Admin, RateClass.Answered,
            (in CommandFields f) => new AuditCommand(f.Ref, f.Before, f.Limit), (m, s, _, c) => m.Moderation.AuditAsync(s, c)),

        // Analytics.
        Spec("stats", CommandAccess.Admin, RateClass.Answered, Plain, (m, s, _, c) => m.Stats.StatsAsync(s, c)),
    }.ToFrozenDictionary(c => c.Type, StringComparer.Ordinal);

    // The shapes several commands share.
    private static PlainCommand Plain(in CommandFields f) => new(f.Ref);
    private static RoomCommand OneRoom(in CommandFields f) => new(f.Ref, f.Room);
    private static UserCommand OneUser(in CommandFields f) => new(f.Ref, f.User);
    private static SanctionCommand Sanction(in CommandFields f) => new(f.Ref, f.User, f.Seconds, f.Reason);

    private static CommandSpec<T> Spec<T>(string type, CommandAccess access, RateClass rate, CommandBinder<T> bind,
        Func<ChatModules, ChatSession, ChatUser?, T, Task> handle) where T : Command => new(type, access, rate, bind, handle);

    /// <summary>
    /// Looks the command up, checks who sent it and runs it; every refusal is answered here, once for all commands.
    /// </summary>
    public static Task DispatchAsync(ChatModules modules, ChatSession session, in CommandFields fields)
    {
        if (!All.TryGetValue(fields.Type!, out CommandSpec? spec))
        {
            session.SendError(ChatErrorCode.UnknownType, $"unknown type '{fields.Type}'", fields.Ref);
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
            session.SendError(user is null ? ChatErrorCode.NotLoggedIn : ChatErrorCode.Forbidden, refusal, fields.Ref);
            return Task.CompletedTask;
        }
        return spec.RunAsync(modules, session, user, in fields);
    }

    /// <summary>True for a command whose refusal by the rate limit is not worth an answer (<see cref="RateClass.BestEffort"/>).</summary>
    public static bool IsBestEffort(string? type) =>
        type is not null && All.TryGetValue(type, out CommandSpec? spec) && spec.Rate == RateClass.BestEffort;
}
