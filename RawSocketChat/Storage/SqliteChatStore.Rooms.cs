using Microsoft.Data.Sqlite;

namespace RawSocketChat.Storage;

/// <summary>
/// Rooms and the lasting memberships of registered users. A member list is read joined to <c>users</c>, so it carries
/// each member's current color and role.
/// </summary>
public sealed partial class SqliteChatStore
{
    public Task<bool> CreateRoomAsync(RoomRecord room, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO rooms(name_key, name, created_by, created_at, private) VALUES ($key, $name, $by, $created, $private)
                ON CONFLICT(name_key) DO NOTHING
                """;
            command.Parameters.AddWithValue("$key", Key(room.Name));
            command.Parameters.AddWithValue("$name", room.Name);
            command.Parameters.AddWithValue("$by", (object?)room.CreatedBy ?? DBNull.Value);
            command.Parameters.AddWithValue("$created", ToMs(room.CreatedAt));
            command.Parameters.AddWithValue("$private", room.Private ? 1 : 0);
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<RoomRecord?> FindRoomAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, created_by, created_at, topic, private FROM rooms WHERE name_key = $key";
            command.Parameters.AddWithValue("$key", Key(name));
            using SqliteDataReader reader = command.ExecuteReader();
            return reader.Read() ? ReadRoom(reader) : null;
        }));

    public Task<bool> SetRoomTopicAsync(string room, string? topic, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "UPDATE rooms SET topic = $topic WHERE name_key = $key";
            command.Parameters.AddWithValue("$topic", (object?)topic ?? DBNull.Value);
            command.Parameters.AddWithValue("$key", Key(room));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<RoomRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, created_by, created_at, topic, private FROM rooms ORDER BY name_key";
            using SqliteDataReader reader = command.ExecuteReader();
            var rooms = new List<RoomRecord>();
            while (reader.Read())
                rooms.Add(ReadRoom(reader));
            return rooms;
        }));

    public Task<bool> AddRoomMemberAsync(string room, string user, DateTime joinedAt, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO room_members(room_key, user_key, joined_at) VALUES ($room, $user, $at)
                ON CONFLICT(room_key, user_key) DO NOTHING
                """;
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$user", Key(user));
            command.Parameters.AddWithValue("$at", ToMs(joinedAt));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<bool> RemoveRoomMemberAsync(string room, string user, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DELETE FROM room_members WHERE room_key = $room AND user_key = $user";
            command.Parameters.AddWithValue("$room", Key(room));
            command.Parameters.AddWithValue("$user", Key(user));
            return command.ExecuteNonQuery() == 1;
        }));

    public Task<IReadOnlyList<RoomMemberRecord>> ListRoomMembersAsync(string room, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<IReadOnlyList<RoomMemberRecord>>(connection =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """
                SELECT u.name, u.color, u.role
                FROM room_members m JOIN users u ON u.name_key = m.user_key
                WHERE m.room_key = $room
                ORDER BY u.name_key
                """;
            command.Parameters.AddWithValue("$room", Key(room));
            using SqliteDataReader reader = command.ExecuteReader();
            var members = new List<RoomMemberRecord>();
            while (reader.Read())
                members.Add(new RoomMemberRecord(reader.GetString(0), reader.GetString(1), RoleNames.Parse(reader.GetString(2))));
            return members;
        }));

    private static RoomRecord ReadRoom(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), FromMs(reader.GetInt64(2)), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetInt64(4) != 0);
}
