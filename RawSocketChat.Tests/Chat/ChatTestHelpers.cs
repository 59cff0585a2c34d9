using System.Text.Json;
using System.Text.Json.Nodes;
using RawSocketChat.Hosting;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Chat;

/// <summary>Shortcuts for the moderation, DM and analytics tests: commands with a fresh ref, staff accounts.</summary>
internal static class ChatTestHelpers
{
    /// <summary>No rate limit gets in the way of a test that sends a lot (the limits have tests of their own).</summary>
    public static void Generous(ServerOptions o)
    {
        o.Rate = 1000;
        o.Burst = 1000;
        o.IpRate = 1000;
        o.IpBurst = 1000;
    }

    /// <summary>Sends <paramref name="command"/> with a new ref and returns the reply that carries it.</summary>
    public static async Task<JsonElement> AskAsync(this ChatClient client, object command)
    {
        string reference = "q" + Guid.NewGuid().ToString("N")[..12];
        JsonObject json = JsonSerializer.SerializeToNode(command)!.AsObject();
        json["ref"] = reference;
        await client.SendTextAsync(json.ToJsonString());
        return await client.ReceiveAsync(m => ChatClient.Ref(m) == reference);
    }

    /// <summary>A second device of a registered user: a new connection that logs in with the password.</summary>
    public static async Task<ChatClient> LogInAsync(TestServer server, string name, string password = "correct horse battery")
    {
        ChatClient client = await ChatClient.ConnectAsync(server);
        JsonElement reply = await client.AskAsync(new { type = "login", name, password });
        Assert.Equal("welcome", ChatClient.Type(reply));
        return client;
    }

    /// <summary>Asserts an error reply with this code.</summary>
    public static void AssertError(JsonElement reply, string code)
    {
        Assert.True(ChatClient.IsError(reply, code), $"expected error {code}, got {reply.GetRawText()}");
    }

    public static string Id(JsonElement ack) => ack.GetProperty("id").GetString()!;

    public static string? Text(JsonElement message, string property = "text") =>
        message.TryGetProperty(property, out JsonElement value) ? value.GetString() : null;

    /// <summary>Registers a user, has <paramref name="admin"/> make them a moderator, and returns them once they know.</summary>
    public static async Task<ChatClient> ModeratorAsync(TestServer server, ChatClient admin, string name)
    {
        (ChatClient moderator, _) = await ChatClient.RegisterAsync(server, name);
        JsonElement granted = await admin.AskAsync(new { type = "grant", user = name });
        Assert.Equal("moderated", ChatClient.Type(granted));
        JsonElement role = await moderator.ReceiveAsync("role");
        Assert.Equal("moderator", role.GetProperty("role").GetString());
        return moderator;
    }

    public static bool IsMessage(JsonElement m, string id) =>
        ChatClient.Type(m) == "message" && m.GetProperty("id").GetString() == id;
}
