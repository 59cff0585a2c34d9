using MongoDB.Bson;
using MongoDB.Driver;

namespace RawSocketChat.Storage.Mongo;

/// <summary>
/// Rooms and the lasting memberships of registered users. A membership is kept on the user's document, not the
/// room's (docs/storage.md says why), so joining and leaving update <c>users</c>.
/// </summary>
public sealed partial class MongoChatStore
{
    public Task<bool> CreateRoomAsync(RoomRecord room, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        var document = new RoomDocument
        {
            Id = ObjectId.GenerateNewId(),
            Name = room.Name,
            NameKey = MongoQueries.Key(room.Name),
            CreatedBy = room.CreatedBy,
            CreatedAt = MongoQueries.Utc(room.CreatedAt),
            Private = room.Private,
        };
        try
        {
            UpdateResult result = await _rooms.UpdateOneAsync(MongoQueries.RoomByName(room.Name), MongoQueries.InsertRoom(document),
                new UpdateOptions { IsUpsert = true }, cancellationToken);
            return result.UpsertedId is not null;
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            return false;
        }
    });

    public Task<RoomRecord?> FindRoomAsync(string name, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        RoomDocument? room = await _rooms.Find(MongoQueries.RoomByName(name)).FirstOrDefaultAsync(cancellationToken);
        return room is null ? null : ToRecord(room);
    });

    public Task<bool> SetRoomTopicAsync(string room, string? topic, CancellationToken cancellationToken = default) => Guard(async () =>
        (await _rooms.UpdateOneAsync(MongoQueries.RoomByName(room), MongoQueries.SetTopic(topic), cancellationToken: cancellationToken)).MatchedCount == 1);

    public Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(CancellationToken cancellationToken = default) => Guard<IReadOnlyList<RoomRecord>>(async () =>
    {
        List<RoomDocument> rooms = await _rooms.Find(MongoQueries.AllRooms).Sort(MongoQueries.ByRoomName).ToListAsync(cancellationToken);
        return rooms.Select(ToRecord).ToList();
    });

    public Task<bool> AddRoomMemberAsync(string room, string user, DateTime joinedAt, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        // One conditional update of one document: atomic, so two joins at once add one membership.
        UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserNotInRoom(user, room), MongoQueries.AddMembership(room, joinedAt),
            cancellationToken: cancellationToken);
        return result.ModifiedCount == 1;
    });

    public Task<bool> RemoveRoomMemberAsync(string room, string user, CancellationToken cancellationToken = default) => Guard(async () =>
    {
        UpdateResult result = await _users.UpdateOneAsync(MongoQueries.UserInRoom(user, room), MongoQueries.RemoveMembership(room),
            cancellationToken: cancellationToken);
        return result.ModifiedCount == 1;
    });

    public Task<IReadOnlyList<RoomMemberRecord>> ListRoomMembersAsync(string room, CancellationToken cancellationToken = default) => Guard<IReadOnlyList<RoomMemberRecord>>(async () =>
    {
        List<UserDocument> members = await _users.Find(MongoQueries.MembersOf(room)).Sort(MongoQueries.ByUserName)
            .Project<UserDocument>(MongoQueries.MemberFields).ToListAsync(cancellationToken);
        return members.Select(m => new RoomMemberRecord(m.Name, m.Color, RoleNames.Parse(m.Role))).ToList();
    });
    private static RoomRecord ToRecord(RoomDocument r) => new(r.Name, r.CreatedBy, r.CreatedAt, r.Topic, r.Private);

}
