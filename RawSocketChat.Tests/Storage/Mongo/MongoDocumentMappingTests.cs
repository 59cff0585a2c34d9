using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// Offline: each document type serializes to exactly the shape docs/storage.md shows (camelCase names, ObjectId
/// <c>_id</c>s, BSON dates, optional fields absent rather than null) and comes back through
/// <see cref="BsonSerializer"/> unchanged.
/// </summary>
public sealed class MongoDocumentMappingTests
{
    private static readonly DateTime T0 = new(2026, 11, 27, 10, 0, 0, 123, DateTimeKind.Utc);
    private static readonly ObjectId Id = ObjectId.Parse("6b0954a000000000000000a3");

    /// <summary>Serializes, compares with the expected BSON, deserializes, and serializes again to the same BSON.</summary>
    private static T RoundTrip<T>(T document, string expectedJson)
    {
        BsonDocument bson = document.ToBsonDocument();
        Assert.Equal(BsonDocument.Parse(expectedJson), bson);
        byte[] bytes = document.ToBson();
        T back = BsonSerializer.Deserialize<T>(bytes);
        Assert.Equal(bson, back.ToBsonDocument());
        return back;
    }

    [Fact]
    public void A_user_with_memberships()
    {
        var user = new UserDocument
        {
            Id = Id, Name = "Alice", NameKey = "alice", PasswordHash = "pbkdf2-sha256$600000$c2FsdA==$aGFzaA==", Color = "#3b82f6",
            Role = "admin", CreatedAt = T0, Memberships = [new MembershipDocument { Room = "lobby", JoinedAt = T0.AddMinutes(1) }],
        };
        UserDocument back = RoundTrip(user, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "Alice", "nameKey" : "alice",
              "passwordHash" : "pbkdf2-sha256$600000$c2FsdA==$aGFzaA==", "color" : "#3b82f6", "role" : "admin",
              "createdAt" : ISODate("2026-11-27T10:00:00.123Z"),
              "memberships" : [{ "room" : "lobby", "joinedAt" : ISODate("2026-11-27T10:01:00.123Z") }] }
            """);
        Assert.Equal(DateTimeKind.Utc, back.CreatedAt.Kind);
        Assert.Equal(T0, back.CreatedAt);
        Assert.Equal(T0.AddMinutes(1), Assert.Single(back.Memberships).JoinedAt);
    }

    [Fact]
    public void A_session_keeps_only_the_token_hash()
    {
        byte[] hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        SessionDocument back = RoundTrip(new SessionDocument { Id = Id, TokenHash = hash, UserKey = "alice", CreatedAt = T0, ExpiresAt = T0.AddDays(30) }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "tokenHash" : BinData(0, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
              "userKey" : "alice", "createdAt" : ISODate("2026-11-27T10:00:00.123Z"), "expiresAt" : ISODate("2026-12-27T10:00:00.123Z") }
            """);
        Assert.Equal(hash, back.TokenHash);
    }

    [Fact]
    public void A_room_without_a_creator_has_no_createdBy()
    {
        RoundTrip(new RoomDocument { Id = Id, Name = "lobby", NameKey = "lobby", CreatedAt = T0 }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "lobby", "nameKey" : "lobby", "createdAt" : ISODate("2026-11-27T10:00:00.123Z") }
            """);
        RoomDocument back = RoundTrip(new RoomDocument { Id = Id, Name = "Dev", NameKey = "dev", CreatedBy = "alice", CreatedAt = T0 }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "Dev", "nameKey" : "dev", "createdBy" : "alice", "createdAt" : ISODate("2026-11-27T10:00:00.123Z") }
            """);
        Assert.Equal("alice", back.CreatedBy);
    }

    [Fact]
    public void A_message_document_is_its_record_with_lower_case_keys_and_its_id_as_an_ObjectId()
    {
        var record = new MessageRecord("6b0954a000000000000000a3", "Lobby", "Alice", "#ef4444",
            "line 1\nline 2 — ünïcödé 🙂 \"q\" \\", T0, "c17", Guest: true);
        MessageDocument document = MongoChatStore.ToDocument(record);
        MessageDocument back = RoundTrip(document, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "room" : "Lobby", "roomKey" : "lobby", "user" : "Alice", "userKey" : "alice",
              "guest" : true, "color" : "#ef4444", "text" : "line 1\nline 2 — ünïcödé 🙂 \"q\" \\", "ts" : ISODate("2026-11-27T10:00:00.123Z"),
              "ref" : "c17", "words" : ["line", "1", "2", "unicode", "q"] }
            """);
        Assert.Equal(record, MongoChatStore.ToRecord(back));
    }

    [Fact]
    public void A_message_without_ref_has_no_ref_field_so_the_partial_ref_index_skips_it()
    {
        var record = new MessageRecord("6b0954a000000000000000a3", "lobby", "bob", "#ef4444", "hi", T0);
        BsonDocument bson = MongoChatStore.ToDocument(record).ToBsonDocument();
        Assert.False(bson.Contains("ref"));
        Assert.False(bson.Contains("editedAt"));
        Assert.False(bson.Contains("deletedAt"));
        Assert.Equal(record, MongoChatStore.ToRecord(BsonSerializer.Deserialize<MessageDocument>(bson)));
    }

    [Fact]
    public void A_reply_names_its_parent_as_an_ObjectId_and_keeps_no_copy_of_its_text()
    {
        var record = new MessageRecord("6b0954a000000000000000a4", "lobby", "bob", "#ef4444", "agreed", T0, ReplyTo: "6b0954a000000000000000a3",
            Parent: new ReplyParent("6b0954a000000000000000a3", "alice", "the parent's words", false));
        BsonDocument bson = MongoChatStore.ToDocument(record).ToBsonDocument();
        Assert.Equal(ObjectId.Parse("6b0954a000000000000000a3"), bson["replyTo"].AsObjectId);
        Assert.DoesNotContain("the parent's words", bson.ToJson());
        // The parent is read with the reply, by the store; the document alone knows only its id.
        Assert.Equal(record with { Parent = null }, MongoChatStore.ToRecord(BsonSerializer.Deserialize<MessageDocument>(bson)));
    }

    [Fact]
    public void An_edited_and_a_deleted_message_keep_their_times()
    {
        var edited = new MessageDocument
        {
            Id = Id, Room = "lobby", RoomKey = "lobby", User = "bob", UserKey = "bob", Color = "#ef4444", Text = "fixed", Timestamp = T0,
            EditedAt = T0.AddMinutes(2),
        };
        MessageDocument back = RoundTrip(edited, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "room" : "lobby", "roomKey" : "lobby", "user" : "bob", "userKey" : "bob",
              "guest" : false, "color" : "#ef4444", "text" : "fixed", "ts" : ISODate("2026-11-27T10:00:00.123Z"),
              "editedAt" : ISODate("2026-11-27T10:02:00.123Z") }
            """);
        Assert.Equal(new MessageRecord("6b0954a000000000000000a3", "lobby", "bob", "#ef4444", "fixed", T0, EditedAt: T0.AddMinutes(2)),
            MongoChatStore.ToRecord(back));

        edited.Text = "";
        edited.DeletedAt = T0.AddMinutes(3);
        back = BsonSerializer.Deserialize<MessageDocument>(edited.ToBson());
        Assert.Equal(T0.AddMinutes(3), back.DeletedAt);
        Assert.True(MongoChatStore.ToRecord(back).Deleted);
        Assert.Null(MongoChatStore.ToRecord(back).DeletedByModerator);
        Assert.False(edited.ToBsonDocument().Contains("deletedByModerator"));

        edited.DeletedByModerator = "mod";
        Assert.Equal("mod", edited.ToBsonDocument()["deletedByModerator"].AsString);
        Assert.Equal("mod", MongoChatStore.ToRecord(BsonSerializer.Deserialize<MessageDocument>(edited.ToBson())).DeletedByModerator);
    }

    [Fact]
    public void Appending_stores_a_new_message_never_an_edit_or_delete_time()
    {
        var record = new MessageRecord("6b0954a000000000000000a3", "lobby", "bob", "#ef4444", "hi", T0, EditedAt: T0, DeletedAt: T0, DeletedByModerator: "mod");
        MessageDocument document = MongoChatStore.ToDocument(record);
        Assert.Null(document.EditedAt);
        Assert.Null(document.DeletedAt);
        Assert.Null(document.DeletedByModerator);
    }

    [Fact]
    public void A_ban_without_expiry_or_reason_and_a_mute_with_both()
    {
        RoundTrip(new SanctionDocument { Id = Id, Name = "Mallory", NameKey = "mallory", By = "alice", CreatedAt = T0 }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "Mallory", "nameKey" : "mallory", "by" : "alice",
              "createdAt" : ISODate("2026-11-27T10:00:00.123Z") }
            """);
        SanctionDocument mute = RoundTrip(new SanctionDocument
        {
            Id = Id, Name = "Mallory", NameKey = "mallory", By = "alice", Reason = "spam", CreatedAt = T0, ExpiresAt = T0.AddHours(1),
        }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "Mallory", "nameKey" : "mallory", "by" : "alice", "reason" : "spam",
              "createdAt" : ISODate("2026-11-27T10:00:00.123Z"), "expiresAt" : ISODate("2026-11-27T11:00:00.123Z") }
            """);
        Assert.Equal(DateTimeKind.Utc, mute.ExpiresAt!.Value.Kind);
    }

    [Fact]
    public void A_moderation_log_entry()
    {
        RoundTrip(new ModerationDocument
        {
            Id = Id, Timestamp = T0, Action = ModerationAction.Mute, Actor = "alice", Target = "mallory", Room = "lobby",
            MessageId = "6b0954a000000000000000a2", ExpiresAt = T0.AddMinutes(10), Reason = "spam",
        }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "ts" : ISODate("2026-11-27T10:00:00.123Z"), "action" : "mute", "actor" : "alice",
              "target" : "mallory", "room" : "lobby", "messageId" : "6b0954a000000000000000a2", "expiresAt" : ISODate("2026-11-27T10:10:00.123Z"),
              "reason" : "spam" }
            """);
        RoundTrip(new ModerationDocument { Id = Id, Timestamp = T0, Action = ModerationAction.Kick, Actor = "alice", Target = "mallory" }, """
            { "_id" : ObjectId("6b0954a000000000000000a3"), "ts" : ISODate("2026-11-27T10:00:00.123Z"), "action" : "kick", "actor" : "alice", "target" : "mallory" }
            """);
    }

    [Fact]
    public void Aggregation_rows_read_the_pipelines_output()
    {
        MessageCountDocument room = BsonSerializer.Deserialize<MessageCountDocument>(BsonDocument.Parse("""{ "_id" : "lobby", "name" : "Lobby", "count" : 3 }"""));
        Assert.Equal(("Lobby", false, 3L), (room.Name, room.Guest, room.Count));
        MessageCountDocument user = BsonSerializer.Deserialize<MessageCountDocument>(BsonDocument.Parse(
            """{ "_id" : { "user" : "bob", "guest" : true }, "name" : "Bob", "guest" : true, "count" : NumberLong(5000000000) }"""));
        Assert.Equal(("Bob", true, 5_000_000_000L), (user.Name, user.Guest, user.Count));
        HourCountDocument hour = BsonSerializer.Deserialize<HourCountDocument>(BsonDocument.Parse("""{ "_id" : ISODate("2026-11-27T10:00:00Z"), "count" : 7 }"""));
        Assert.Equal(new DateTime(2026, 11, 27, 10, 0, 0, DateTimeKind.Utc), hour.Hour);
        Assert.Equal(DateTimeKind.Utc, hour.Hour.Kind);
        Assert.Equal(7, hour.Count);
    }

    [Fact]
    public void Fields_a_newer_server_adds_are_ignored()
    {
        UserDocument user = BsonSerializer.Deserialize<UserDocument>(BsonDocument.Parse("""
            { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "a", "nameKey" : "a", "passwordHash" : "h", "color" : "#000000",
              "role" : "member", "createdAt" : ISODate("2026-11-27T10:00:00Z"), "memberships" : [], "avatar" : "x.png" }
            """));
        Assert.Equal("a", user.Name);
    }
}
