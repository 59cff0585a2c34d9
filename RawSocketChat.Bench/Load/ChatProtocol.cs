using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using RawSocketChat.Bench.Client;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Load;

internal enum ChatEvent { Other, Welcome, Joined, Created, Message, Ack, Error }

/// <summary>
/// The part of <c>rawsocketchat.v1</c> the load generator speaks: <c>login</c> → <c>welcome</c>, <c>join</c> →
/// <c>joined</c>, <c>send</c> → <c>message</c> to every member and <c>ack</c> to the sender. Each message text carries a
/// marker <c>run:seq:timestamp:sender:measured:</c> so receivers can time it and count it without any lookup.
/// </summary>
internal static class ChatProtocol
{
    public const string Subprotocol = "rawsocketchat.v1";

    /// <summary>What a received frame says; strings are not materialised.</summary>
    public readonly record struct Parsed(ChatEvent Event, bool OurRun, long Seq, long Timestamp, int Sender, bool Measured, long Ref);

    public static Parsed Parse(ReadOnlySpan<byte> json, ReadOnlySpan<byte> runId)
    {
        // The hot path: a delivery of one of this run's messages, a thousand times per message sent. Both the chat
        // and the peers write compact JSON that starts with the type, and a raw `"text":"` cannot occur inside a JSON
        // string (its quotes would be escaped), so a vectorized search finds the marker. A full Utf8JsonReader pass
        // here once cost the generator more CPU than the server it measured, and more for a server whose messages
        // carry more fields: the result depended on the client.
        if (!runId.IsEmpty && json.StartsWith("{\"type\":\"message\","u8))
        {
            int text = json.IndexOf("\"text\":\""u8);
            if (text >= 0 && TryParseMarker(json[(text + 8)..], runId, out long s, out long t, out int from, out bool m))
                return new Parsed(ChatEvent.Message, true, s, t, from, m, -1);
        }

        var reader = new Utf8JsonReader(json);
        ChatEvent kind = ChatEvent.Other;
        bool ours = false, measured = false;
        long seq = 0, timestamp = 0, reference = -1;
        int sender = -1;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                    continue;
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    kind = reader.ValueTextEquals("message"u8) ? ChatEvent.Message
                        : reader.ValueTextEquals("ack"u8) ? ChatEvent.Ack
                        : reader.ValueTextEquals("welcome"u8) ? ChatEvent.Welcome
                        : reader.ValueTextEquals("joined"u8) ? ChatEvent.Joined
                        : reader.ValueTextEquals("created"u8) ? ChatEvent.Created
                        : reader.ValueTextEquals("error"u8) ? ChatEvent.Error
                        : ChatEvent.Other;
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                        ours = TryParseMarker(reader.ValueSpan, runId, out seq, out timestamp, out sender, out measured);
                }
                else if (reader.ValueTextEquals("ref"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                        Utf8Parser.TryParse(reader.ValueSpan, out reference, out _);
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }
        }
        catch (JsonException)
        {
            return new Parsed(ChatEvent.Other, false, 0, 0, -1, false, -1);
        }
        return new Parsed(kind, ours, seq, timestamp, sender, measured, reference);
    }

    private static bool TryParseMarker(ReadOnlySpan<byte> text, ReadOnlySpan<byte> runId, out long seq, out long timestamp, out int sender, out bool measured)
    {
        seq = timestamp = 0;
        sender = -1;
        measured = false;
        if (!text.StartsWith(runId) || text.Length <= runId.Length || text[runId.Length] != ':')
            return false;
        text = text[(runId.Length + 1)..];
        if (!Utf8Parser.TryParse(text, out seq, out int n) || n >= text.Length || text[n] != ':') return false;
        text = text[(n + 1)..];
        if (!Utf8Parser.TryParse(text, out timestamp, out n) || n >= text.Length || text[n] != ':') return false;
        text = text[(n + 1)..];
        if (!Utf8Parser.TryParse(text, out sender, out n) || n >= text.Length || text[n] != ':') return false;
        measured = text.Length > n + 1 && text[n + 1] == (byte)'1';
        return true;
    }

    public static byte[] Login(RawClient client, string name) =>
        client.BuildFrame(Opcode.Text, Encoding.UTF8.GetBytes($$"""{"type":"login","name":"{{name}}"}"""));

    /// <summary>Registered accounts may create rooms (guests may not): the password only has to pass the length rule.</summary>
    public static byte[] Register(RawClient client, string name) =>
        client.BuildFrame(Opcode.Text, Encoding.UTF8.GetBytes($$"""{"type":"register","name":"{{name}}","password":"bench-Passw0rd-{{name}}"}"""));

    public static byte[] Create(RawClient client, string room) =>
        client.BuildFrame(Opcode.Text, Encoding.UTF8.GetBytes($$"""{"type":"create","room":"{{room}}"}"""));

    /// <summary>
    /// Makes fresh rooms for this run: <paramref name="owner"/> registers an account (guests cannot create rooms)
    /// and creates each room. Names follow the chat's rule: 2–24 letters, digits, '_' or '-'.
    /// </summary>
    public static async Task CreateRoomsAsync(RawClient owner, string ownerName, IEnumerable<string> rooms, CancellationToken cancellation)
    {
        await ExpectAsync(owner, Register(owner, ownerName), ChatEvent.Welcome, cancellation);
        foreach (string room in rooms)
            await ExpectAsync(owner, Create(owner, room), ChatEvent.Created, cancellation);
    }

    public static byte[] Join(RawClient client, string room) =>
        client.BuildFrame(Opcode.Text, Encoding.UTF8.GetBytes($$"""{"type":"join","room":"{{room}}"}"""));

    /// <summary>A masked <c>send</c> frame whose text is the marker padded with 'x' to <paramref name="size"/> bytes.</summary>
    public static byte[] Send(RawClient client, string room, string runId, long seq, long timestamp, int sender, bool measured, int size)
    {
        string marker = $"{runId}:{seq}:{timestamp}:{sender}:{(measured ? '1' : '0')}:";
        string text = marker.Length >= size ? marker : marker + new string('x', size - marker.Length);
        return client.BuildFrame(Opcode.Text, Encoding.UTF8.GetBytes($$"""{"type":"send","room":"{{room}}","text":"{{text}}","ref":"{{seq}}"}"""));
    }

    /// <summary>Sends <paramref name="request"/> and reads until the reply of kind <paramref name="expected"/> arrives.</summary>
    public static async Task ExpectAsync(RawClient client, byte[] request, ChatEvent expected, CancellationToken cancellation)
    {
        await client.SendAsync(request, cancellation);
        while (true)
        {
            while (client.TryReadFrame(out ServerFrame frame))
            {
                ReadOnlySpan<byte> payload = client.Payload(frame);
                Parsed parsed = Parse(payload, default);
                if (parsed.Event == expected)
                    return;
                if (parsed.Event == ChatEvent.Error)
                    throw new IOException($"server answered {expected.ToString().ToLowerInvariant()} request with an error: {Encoding.UTF8.GetString(payload)}");
            }
            if (!await client.FillAsync(cancellation))
                throw new IOException($"connection closed while waiting for {expected.ToString().ToLowerInvariant()}");
        }
    }
}
