using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using RawSocketChat.Storage;
using RawSocketChat.Storage.Mongo;

namespace RawSocketChat.Tests.Storage.Mongo;

/// <summary>
/// Offline: every filter, update, sort, projection, index and pipeline the MongoDB store sends (all built by
/// <see cref="MongoQueries"/> and <see cref="MongoIndexes"/>) is rendered with the driver's own serializers and
/// compared with the BSON it must be. No server is needed; a change to a document's mapping that would silently
/// change a query fails here.
/// </summary>
public sealed class MongoQueryRenderingTests
{
    private static readonly DateTime T0 = new(2026, 11, 27, 10, 0, 0, 123, DateTimeKind.Utc);
    private static readonly ObjectId Id = ObjectId.Parse("6b0954a000000000000000a3");

    private static RenderArgs<T> Args<T>() => new(BsonSerializer.LookupSerializer<T>(), BsonSerializer.SerializerRegistry);

    private static void Expect<T>(string json, FilterDefinition<T> filter) => Assert.Equal(BsonDocument.Parse(json), filter.Render(Args<T>()));

    private static void Expect<T>(string json, UpdateDefinition<T> update) => Assert.Equal(BsonDocument.Parse(json), update.Render(Args<T>()));

    private static void Expect<T>(string json, SortDefinition<T> sort) => Assert.Equal(BsonDocument.Parse(json), sort.Render(Args<T>()));

    private static void Expect<T>(string json, ProjectionDefinition<T> projection) => Assert.Equal(BsonDocument.Parse(json), projection.Render(Args<T>()));

    private static void Expect<TIn, TOut>(string json, PipelineDefinition<TIn, TOut> pipeline) =>
        Assert.Equal(BsonSerializer.Deserialize<BsonArray>(json), new BsonArray(pipeline.Render(Args<TIn>()).Documents));

    private static void Expect<T>(string keys, string options, CreateIndexModel<T> index)
    {
        Assert.Equal(BsonDocument.Parse(keys), index.Keys.Render(Args<T>()));
        var rendered = new BsonDocument("name", index.Options.Name);
        if (index.Options.Unique == true)
            rendered.Add("unique", true);
        if (index.Options.ExpireAfter is { } ttl)
            rendered.Add("expireAfterSeconds", (long)ttl.TotalSeconds);
        if (index.Options is CreateIndexOptions<T> { PartialFilterExpression: { } partial })
            rendered.Add("partialFilterExpression", partial.Render(Args<T>()));
        Assert.Equal(BsonDocument.Parse(options), rendered);
    }

    // ---- users ----

    [Fact]
    public void User_lookups_use_the_lower_case_name()
    {
        Expect("""{ "nameKey" : "alice" }""", MongoQueries.UserByName("AlIcE"));
        Expect("""{ "$set" : { "role" : "moderator" } }""", MongoQueries.SetRole(Role.Moderator));
    }

    [Fact]
    public void Registration_is_an_insert_only_upsert()
    {
        var user = new UserDocument
        {
            Id = Id, Name = "Alice", NameKey = "alice", PasswordHash = "pbkdf2-sha256$1$c2FsdA==$aGFzaA==", Color = "#3b82f6",
            Role = "member", CreatedAt = T0,
        };
        Expect("""
            { "$setOnInsert" : {
                "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "Alice", "passwordHash" : "pbkdf2-sha256$1$c2FsdA==$aGFzaA==",
                "color" : "#3b82f6", "role" : "member", "createdAt" : ISODate("2026-11-27T10:00:00.123Z"), "memberships" : [] } }
            """, MongoQueries.InsertUser(user));
    }

    [Fact]
    public void Membership_updates_are_conditional_on_one_user_document()
    {
        Expect("""{ "nameKey" : "bob", "memberships.room" : { "$ne" : "lobby" } }""", MongoQueries.UserNotInRoom("Bob", "Lobby"));
        Expect("""{ "$push" : { "memberships" : { "room" : "lobby", "joinedAt" : ISODate("2026-11-27T10:00:00.123Z") } } }""",
            MongoQueries.AddMembership("LOBBY", T0));
        Expect("""{ "nameKey" : "bob", "memberships.room" : "lobby" }""", MongoQueries.UserInRoom("bob", "lobby"));
        Expect("""{ "$pull" : { "memberships" : { "room" : "lobby" } } }""", MongoQueries.RemoveMembership("Lobby"));
        Expect("""{ "memberships.room" : "dev" }""", MongoQueries.MembersOf("Dev"));
        Expect("""{ "nameKey" : 1 }""", MongoQueries.ByUserName);
        Expect("""{ "name" : 1, "color" : 1, "role" : 1, "_id" : 0 }""", MongoQueries.MemberFields);
    }

    // ---- sessions ----

    [Fact]
    public void Sessions_are_found_by_token_hash_and_expiry()
    {
        byte[] hash = [1, 2, 3, 255];
        Expect("""{ "tokenHash" : BinData(0, "AQID/w==") }""", MongoQueries.SessionByHash(hash));
        Expect("""{ "tokenHash" : BinData(0, "AQID/w=="), "expiresAt" : { "$gt" : ISODate("2026-11-27T10:00:00.123Z") } }""",
            MongoQueries.LiveSession(hash, T0));
        Expect("""{ "expiresAt" : { "$lte" : ISODate("2026-11-27T10:00:00.123Z") } }""", MongoQueries.ExpiredSessions(T0));
    }

    [Fact]
    public void An_unspecified_time_is_taken_as_utc_never_as_local()
    {
        var unspecified = new DateTime(2026, 11, 27, 10, 0, 0, 123, DateTimeKind.Unspecified);
        Expect("""{ "expiresAt" : { "$lte" : ISODate("2026-11-27T10:00:00.123Z") } }""", MongoQueries.ExpiredSessions(unspecified));
    }

    // ---- rooms ----

    [Fact]
    public void Rooms_are_created_with_an_insert_only_upsert_and_listed_by_lower_case_name()
    {
        Expect("""{ "nameKey" : "dev" }""", MongoQueries.RoomByName("Dev"));
        Expect("""
            { "$setOnInsert" : { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "Dev", "createdAt" : ISODate("2026-11-27T10:00:00.123Z"), "createdBy" : "alice" } }
            """, MongoQueries.InsertRoom(new RoomDocument { Id = Id, Name = "Dev", NameKey = "dev", CreatedBy = "alice", CreatedAt = T0 }));
        Expect("""
            { "$setOnInsert" : { "_id" : ObjectId("6b0954a000000000000000a3"), "name" : "lobby", "createdAt" : ISODate("2026-11-27T10:00:00.123Z") } }
            """, MongoQueries.InsertRoom(new RoomDocument { Id = Id, Name = "lobby", NameKey = "lobby", CreatedAt = T0 }));
        Expect("{ }", MongoQueries.AllRooms);
        Expect("""{ "nameKey" : 1 }""", MongoQueries.ByRoomName);
    }

    // ---- messages ----

    [Fact]
    public void History_is_a_keyset_page_on_room_and_id()
    {
        Expect("""{ "roomKey" : "lobby" }""", MongoQueries.History("Lobby", null));
        Expect("""{ "roomKey" : "lobby", "_id" : { "$lt" : ObjectId("6b0954a000000000000000a3") } }""", MongoQueries.History("lobby", Id));
        Expect("""{ "_id" : -1 }""", MongoQueries.NewestFirst);
        Expect("{ }", MongoQueries.AllMessages);
        Expect("""{ "_id" : 1 }""", MongoQueries.IdOnly);
    }

    [Fact]
    public void Refs_are_looked_up_per_user_and_guest_flag()
    {
        var key = new MongoQueries.RefKey("alice", false, "c17");
        Expect("""{ "userKey" : "alice", "guest" : false, "ref" : "c17" }""", MongoQueries.ByRef(key));
        Expect("""{ "userKey" : "alice", "guest" : false, "ref" : { "$in" : ["c1", "c2"] } }""",
            MongoQueries.ByRefs([new("alice", false, "c2"), new("alice", false, "c1"), new("alice", false, "c2")]));
        Expect("""
            { "$or" : [
                { "userKey" : "alice", "guest" : false, "ref" : { "$in" : ["a"] } },
                { "userKey" : "alice", "guest" : true, "ref" : { "$in" : ["b"] } },
                { "userKey" : "bob", "guest" : false, "ref" : { "$in" : ["a", "c"] } } ] }
            """, MongoQueries.ByRefs([new("bob", false, "c"), new("alice", true, "b"), new("alice", false, "a"), new("bob", false, "a")]));
    }

    [Fact]
    public void The_ref_key_lower_cases_the_user_and_is_absent_without_a_ref()
    {
        var message = new MessageRecord("6b0954a000000000000000a3", "lobby", "ALICE", "#000000", "hi", T0, "c1", Guest: true);
        Assert.Equal(new MongoQueries.RefKey("alice", true, "c1"), MongoQueries.RefOf(message));
        Assert.Null(MongoQueries.RefOf(message with { Ref = null }));
    }

    [Fact]
    public void Edits_and_deletes_match_only_a_message_that_is_not_deleted()
    {
        Expect("""{ "_id" : ObjectId("6b0954a000000000000000a3") }""", MongoQueries.MessageById(Id));
        Expect("""{ "_id" : ObjectId("6b0954a000000000000000a3"), "deletedAt" : null }""", MongoQueries.LiveMessage(Id));
        // The words of search are replaced with the text, and emptied with it.
        Expect("""{ "$set" : { "text" : "fixed", "editedAt" : ISODate("2026-11-27T10:00:00.123Z"), "words" : ["fixed"] }, "$unset" : { "mentions" : 1, "mentionsRoom" : 1, "mentionKeys" : 1 } }""",
            MongoQueries.Edit("fixed", T0));
        Expect("""
            { "$set" : { "text" : "@Bob", "editedAt" : ISODate("2026-11-27T10:00:00.123Z"), "words" : ["bob"], "mentions" : ["Bob"], "mentionKeys" : ["@room", "bob"], "mentionsRoom" : true } }
            """, MongoQueries.Edit("@Bob", T0, new MessageMentions(["Bob"], Room: true)));
        Expect("""{ "$set" : { "text" : "", "deletedAt" : ISODate("2026-11-27T10:00:00.123Z"), "words" : [] }, "$unset" : { "reactions" : 1, "mentions" : 1, "mentionsRoom" : 1, "mentionKeys" : 1 } }""",
            MongoQueries.Delete(T0));
        Expect("""{ "$set" : { "text" : "", "deletedAt" : ISODate("2026-11-27T10:00:00.123Z"), "words" : [], "deletedByModerator" : "mod" }, "$unset" : { "reactions" : 1, "mentions" : 1, "mentionsRoom" : 1, "mentionKeys" : 1 } }""",
            MongoQueries.Delete(T0, moderator: "mod"));
    }

    [Fact]
    public void A_reaction_change_is_a_compare_and_set_on_the_reactions_version()
    {
        Expect("""{ "_id" : ObjectId("6b0954a000000000000000a3"), "deletedAt" : null, "reactionsVersion" : { "$exists" : false } }""",
            MongoQueries.LiveMessageAtReactionsVersion(Id, 0));
        Expect("""{ "_id" : ObjectId("6b0954a000000000000000a3"), "deletedAt" : null, "reactionsVersion" : 7 }""",
            MongoQueries.LiveMessageAtReactionsVersion(Id, 7));
        Expect("""
            { "$set" : { "reactionsVersion" : 8,
                         "reactions" : [{ "emoji" : "👍", "user" : "Bob", "userKey" : "bob", "guest" : false, "at" : ISODate("2026-11-27T10:00:00.123Z") }] } }
            """, MongoQueries.SetReactions([new ReactionDocument { Emoji = "👍", User = "Bob", UserKey = "bob", At = T0 }], 7));
        Expect("""{ "$set" : { "reactionsVersion" : 8 }, "$unset" : { "reactions" : 1 } }""", MongoQueries.SetReactions([], 7));
    }

    // ---- moderation ----

    [Fact]
    public void Bans_and_mutes_are_upserts_on_the_lower_case_name_that_remove_absent_fields()
    {
        Expect("""{ "nameKey" : "mallory" }""", MongoQueries.SanctionOf("Mallory"));
        Expect("""
            { "$setOnInsert" : { "_id" : ObjectId("6b0954a000000000000000a3") },
              "$set" : { "name" : "Mallory", "by" : "alice", "reason" : "spam", "createdAt" : ISODate("2026-11-27T10:00:00.123Z"),
                         "expiresAt" : ISODate("2026-11-27T11:00:00.123Z") } }
            """, MongoQueries.SetSanction(new SanctionDocument
            {
                Id = Id, Name = "Mallory", NameKey = "mallory", By = "alice", Reason = "spam", CreatedAt = T0, ExpiresAt = T0.AddHours(1),
            }));
        Expect("""
            { "$setOnInsert" : { "_id" : ObjectId("6b0954a000000000000000a3") },
              "$set" : { "name" : "Mallory", "by" : "alice", "createdAt" : ISODate("2026-11-27T10:00:00.123Z") },
              "$unset" : { "reason" : 1, "expiresAt" : 1 } }
            """, MongoQueries.SetSanction(new SanctionDocument { Id = Id, Name = "Mallory", NameKey = "mallory", By = "alice", CreatedAt = T0 }));
        Expect("""{ "$or" : [{ "expiresAt" : null }, { "expiresAt" : { "$gt" : ISODate("2026-11-27T10:00:00.123Z") } }] }""",
            MongoQueries.SanctionsInForce(T0));
        Expect("""{ "nameKey" : 1 }""", MongoQueries.BySanctionName);
    }

    [Fact]
    public void The_moderation_log_is_paged_by_id()
    {
        Expect("{ }", MongoQueries.ModerationLog(null));
        Expect("""{ "_id" : { "$lt" : ObjectId("6b0954a000000000000000a3") } }""", MongoQueries.ModerationLog(Id));
        Expect("""{ "_id" : -1 }""", MongoQueries.NewestEntryFirst);
    }

    // ---- statistics ----

    [Fact]
    public void Messages_per_room_are_grouped_along_the_room_index()
    {
        Expect("""
            [ { "$sort" : { "roomKey" : 1, "_id" : 1 } },
              { "$group" : { "_id" : "$roomKey", "name" : { "$first" : "$room" }, "count" : { "$sum" : 1 } } },
              { "$sort" : { "count" : -1, "_id" : 1 } } ]
            """, MongoQueries.MessagesPerRoom());
        Expect("{ }", MongoQueries.AllUsers);
    }

    [Fact]
    public void Messages_per_user_group_by_lower_case_name_and_guest_flag()
    {
        Expect("""
            [ { "$group" : { "_id" : { "user" : "$userKey", "guest" : "$guest" }, "name" : { "$min" : "$user" }, "guest" : { "$first" : "$guest" }, "count" : { "$sum" : 1 } } },
              { "$sort" : { "count" : -1, "_id.user" : 1, "_id.guest" : 1 } },
              { "$limit" : 10 } ]
            """, MongoQueries.MessagesPerUser(10));
    }

    [Fact]
    public void A_room_s_top_posters_match_the_room_on_its_index_then_group_like_all_posters()
    {
        Expect("""
            [ { "$match" : { "roomKey" : "lobby" } },
              { "$group" : { "_id" : { "user" : "$userKey", "guest" : "$guest" }, "name" : { "$min" : "$user" }, "guest" : { "$first" : "$guest" }, "count" : { "$sum" : 1 } } },
              { "$sort" : { "count" : -1, "_id.user" : 1, "_id.guest" : 1 } },
              { "$limit" : 5 } ]
            """, MongoQueries.MessagesPerUserInRoom("Lobby", 5));
    }

    [Fact]
    public void Messages_per_hour_match_a_range_of_the_ts_index_and_round_down_to_the_hour()
    {
        Expect("""
            [ { "$match" : { "ts" : { "$gte" : ISODate("2026-11-26T10:00:00.123Z"), "$lt" : ISODate("2026-11-27T10:00:00.123Z") } } },
              { "$group" : { "_id" : { "$subtract" : ["$ts", { "$mod" : [{ "$toLong" : "$ts" }, 3600000] }] }, "count" : { "$sum" : 1 } } },
              { "$sort" : { "_id" : 1 } } ]
            """, MongoQueries.MessagesPerHour(T0.AddDays(-1), T0));
    }

    // ---- indexes ----

    [Fact]
    public void Every_index_has_the_keys_and_options_docs_storage_md_describes()
    {
        Expect("""{ "nameKey" : 1 }""", """{ "name" : "nameKey_unique", "unique" : true }""", MongoIndexes.UserName);
        Expect("""{ "memberships.room" : 1, "nameKey" : 1 }""", """{ "name" : "memberships_room_nameKey" }""", MongoIndexes.UserMemberships);
        Expect("""{ "tokenHash" : 1 }""", """{ "name" : "tokenHash_unique", "unique" : true }""", MongoIndexes.SessionToken);
        Expect("""{ "expiresAt" : 1 }""", """{ "name" : "expiresAt_ttl", "expireAfterSeconds" : NumberLong(0) }""", MongoIndexes.SessionExpiry);
        Expect("""{ "nameKey" : 1 }""", """{ "name" : "nameKey_unique", "unique" : true }""", MongoIndexes.RoomName);
        Expect("""{ "roomKey" : 1, "_id" : 1 }""", """{ "name" : "roomKey_id" }""", MongoIndexes.MessageHistory);
        Expect("""{ "userKey" : 1, "guest" : 1, "ref" : 1 }""",
            """{ "name" : "userKey_guest_ref_unique", "unique" : true, "partialFilterExpression" : { "ref" : { "$type" : 2 } } }""",
            MongoIndexes.MessageRef);
        Expect("""{ "ts" : 1 }""", """{ "name" : "ts" }""", MongoIndexes.MessageTime);
        Expect("""{ "nameKey" : 1 }""", """{ "name" : "nameKey_unique", "unique" : true }""", MongoIndexes.SanctionName);
        Expect("""{ "expiresAt" : 1 }""", """{ "name" : "expiresAt_ttl", "expireAfterSeconds" : NumberLong(0) }""", MongoIndexes.SanctionExpiry);
    }
}
