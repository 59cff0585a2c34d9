using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using RawSocketChat.Transport;

namespace RawSocketChat.Bench.Peers;

/// <summary>
/// Rooms for the peers' <c>/chat</c>: a copy-on-write member array per room, so a broadcast walks a snapshot without
/// a lock. One serialization per broadcast: the same byte[] is queued to every member.
/// </summary>
internal sealed class ChatHub
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private long _nextId;

    public Room Get(string name) => _rooms.GetOrAdd(name, static n => new Room(n));

    public long NextId() => Interlocked.Increment(ref _nextId);

    internal sealed class Room(string name)
    {
        private readonly object _lock = new();
        private PeerChatSession[] _members = [];

        public string Name => name;
        public PeerChatSession[] Members => Volatile.Read(ref _members);

        public void Add(PeerChatSession session)
        {
            lock (_lock)
            {
                if (Array.IndexOf(_members, session) < 0)
                    _members = [.. _members, session];
            }
        }

        public void Remove(PeerChatSession session)
        {
            lock (_lock) _members = _members.Where(m => m != session).ToArray();
        }
    }
}

/// <summary>
/// One <c>/chat</c> connection on a peer: the login/register/create/join/send subset of rawsocketchat.v1, no storage,
/// no accounts, no rate limit.
/// <see cref="WebSocket.SendAsync(ReadOnlyMemory{byte}, WebSocketMessageType, bool, CancellationToken)"/> may not run
/// twice at once, so every outgoing message goes through a channel drained by one send loop; a peer that stops
/// reading is dropped past 4 MiB queued, as RawSocketChat does.
/// </summary>
internal sealed class PeerChatSession(WebSocket socket, ChatHub hub)
{
    private static readonly long MaxQueuedBytes = new ConnectionSettings().MaxSendBufferBytes; // RawSocketChat's default
    private readonly Channel<byte[]> _outbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<ChatHub.Room> _rooms = [];
    private long _queuedBytes;
    private string? _name;

    public void Enqueue(byte[] message)
    {
        if (Interlocked.Add(ref _queuedBytes, message.Length) > MaxQueuedBytes)
        {
            _outbox.Writer.TryComplete();
            socket.Abort();
            return;
        }
        _outbox.Writer.TryWrite(message);
    }

    public async Task RunAsync(CancellationToken cancellation)
    {
        Task sending = SendLoopAsync(cancellation);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    if (length == buffer.Length)
                    {
                        byte[] bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    received = await socket.ReceiveAsync(buffer.AsMemory(length), cancellation);
                    length += received.Count;
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    _outbox.Writer.TryComplete();
                    await sending;
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellation);
                    return;
                }
                Handle(buffer.AsSpan(0, length));
            }
        }
        catch (Exception e) when (PeerEndpoints.IsDisconnect(e) || e is ChannelClosedException)
        {
        }
        finally
        {
            foreach (ChatHub.Room room in _rooms)
                room.Remove(this);
            _outbox.Writer.TryComplete();
            ArrayPool<byte>.Shared.Return(buffer);
            socket.Abort();
            socket.Dispose();
        }
    }

    private void Handle(ReadOnlySpan<byte> json)
    {
        string? type = null, name = null, room = null, text = null, reference = null;
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                    continue;
                string property = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    continue;
                switch (property)
                {
                    case "type": type = reader.GetString(); break;
                    case "name": name = reader.GetString(); break;
                    case "room": room = reader.GetString(); break;
                    case "text": text = reader.GetString(); break;
                    case "ref": reference = reader.GetString(); break;
                }
            }
        }
        catch (JsonException)
        {
            Enqueue(Serialize(w => { w.WriteString("type", "error"); w.WriteString("code", "bad_json"); }));
            return;
        }

        switch (type)
        {
            case "create" when _name is not null && room is not null:
                hub.Get(room);
                Enqueue(Serialize(w => { w.WriteString("type", "created"); w.WriteString("room", room); }));
                break;
            case "login" or "register" when name is not null:
                _name = name;
                Enqueue(Serialize(w => { w.WriteString("type", "welcome"); w.WriteString("name", name); }));
                break;
            case "join" when _name is not null && room is not null:
                ChatHub.Room joined = hub.Get(room);
                joined.Add(this);
                if (!_rooms.Contains(joined))
                    _rooms.Add(joined);
                Enqueue(Serialize(w => { w.WriteString("type", "joined"); w.WriteString("room", room); }));
                break;
            case "send" when _name is not null && room is not null && text is not null:
                long id = hub.NextId();
                byte[] message = Serialize(w =>
                {
                    w.WriteString("type", "message");
                    w.WriteString("room", room);
                    w.WriteNumber("id", id);
                    w.WriteString("from", _name);
                    w.WriteString("text", text);
                    w.WriteNumber("ts", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                });
                foreach (PeerChatSession member in hub.Get(room).Members)
                    member.Enqueue(message);
                Enqueue(Serialize(w => { w.WriteString("type", "ack"); w.WriteString("ref", reference); w.WriteNumber("id", id); }));
                break;
            default:
                Enqueue(Serialize(w => { w.WriteString("type", "error"); w.WriteString("code", "bad_request"); }));
                break;
        }
    }

    private static byte[] Serialize(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async Task SendLoopAsync(CancellationToken cancellation)
    {
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(cancellation))
            {
                while (_outbox.Reader.TryRead(out byte[]? message))
                {
                    await socket.SendAsync(message.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, cancellation);
                    Interlocked.Add(ref _queuedBytes, -message.Length);
                }
            }
        }
        catch (Exception e) when (PeerEndpoints.IsDisconnect(e))
        {
        }
    }
}
