using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net;
using System.Text.Json;
using System.Text;
using RawSocketChat.Chat.Stats;
using RawSocketChat.Tests.Monitoring;
using RawSocketChat.Tests.Support;
using static RawSocketChat.Tests.Chat.ChatTestHelpers;

namespace RawSocketChat.Tests.Chat;

/// <summary>
/// Analytics end to end: <c>stats</c> and <c>GET /api/stats</c> report exactly what the test sent, only to admins;
/// <c>GET /metrics</c> parses as Prometheus text and its counters move by what the test did.
/// </summary>
public sealed class ChatAnalyticsTests
{
    private static Task<TestServer> StartAsync() => TestServer.StartAsync(o =>
    {
        Generous(o);
        o.Admin = "root";
    });

    private static HttpClient Http(TestServer server) => new() { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Stats_equal_the_counts_of_what_was_sent_over_the_socket_and_over_http()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, JsonElement rootWelcome) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            (ChatClient alice, _) = await ChatClient.RegisterAsync(server, "alice");
            await using (alice)
            {
                await using ChatClient bob = await ChatClient.GuestAsync(server, "bob");
                await alice.AskAsync(new { type = "create", room = "dev" });
                await alice.AskAsync(new { type = "create", room = "quiet" });
                await alice.JoinAsync("lobby");
                await alice.JoinAsync("dev");
                await bob.JoinAsync("lobby");
                for (int i = 0; i < 5; i++) await alice.SayAsync("lobby", $"a{i}");
                for (int i = 0; i < 3; i++) await alice.SayAsync("dev", $"d{i}");
                for (int i = 0; i < 2; i++) await bob.SayAsync("lobby", $"b{i}");
                await alice.AskAsync(new { type = "dm", to = "bob", text = "psst" });
                // An edit is not a new message; a deleted one was still sent.
                string id = Id(await bob.SayAsync("lobby", "b2"));
                await bob.AskAsync(new { type = "edit", room = "lobby", id, text = "b2!" });
                await bob.AskAsync(new { type = "delete", room = "lobby", id });

                JsonElement stats = await root.AskAsync(new { type = "stats" });
                Assert.Equal("stats", ChatClient.Type(stats));
                AssertStats(stats);

                // The same numbers over HTTP, with the admin's token.
                using HttpClient http = Http(server);
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", rootWelcome.GetProperty("token").GetString());
                using HttpResponseMessage response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
                using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                AssertStats(document.RootElement);
                Assert.False(document.RootElement.TryGetProperty("type", out _));
            }
        }

        static void AssertStats(JsonElement stats)
        {
            Assert.Equal(2, stats.GetProperty("users").GetProperty("registered").GetInt64());   // root, alice
            Assert.Equal(3, stats.GetProperty("users").GetProperty("online").GetInt32());       // root, alice, bob
            Assert.Equal(12, stats.GetProperty("messages").GetProperty("total").GetInt64());
            Assert.Equal(1, stats.GetProperty("messages").GetProperty("direct").GetInt64());
            Assert.Equal([("lobby", 8L), ("dev", 3L), ("quiet", 0L)],
                stats.GetProperty("rooms").EnumerateArray().Select(r => (Text(r, "room")!, r.GetProperty("messages").GetInt64())));
            Assert.Equal([("alice", false, 9L), ("bob", true, 3L)], Posters(stats.GetProperty("topPosters")));
            // Each busy room's own posters, in the order of rooms; a room without messages and the DM are not listed.
            JsonElement[] byRoom = stats.GetProperty("topPostersByRoom").EnumerateArray().ToArray();
            Assert.Equal(["lobby", "dev"], byRoom.Select(r => Text(r, "room")));
            Assert.Equal([("alice", false, 5L), ("bob", true, 3L)], Posters(byRoom[0].GetProperty("posters")));
            Assert.Equal([("alice", false, 3L)], Posters(byRoom[1].GetProperty("posters")));

            JsonElement[] hours = stats.GetProperty("perHour").EnumerateArray().ToArray();
            Assert.Equal(24, hours.Length);
            DateTime[] starts = hours.Select(h => DateTime.Parse(Text(h, "hour")!, null, System.Globalization.DateTimeStyles.AdjustToUniversal)).ToArray();
            for (int i = 1; i < starts.Length; i++)
                Assert.Equal(starts[i - 1].AddHours(1), starts[i]);
            DateTime at = DateTime.Parse(Text(stats, "at")!, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
            Assert.Equal(new DateTime(at.Year, at.Month, at.Day, at.Hour, 0, 0), starts[^1]);
            Assert.Equal(12, hours.Sum(h => h.GetProperty("messages").GetInt64()));
        }
    }

    [Fact]
    public async Task Top_posters_by_room_are_bounded_to_the_busiest_rooms_and_their_top_posters()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            // More rooms with messages than are listed (the lobby and these), each busier than the last: the quietest are left out.
            int rooms = StatsModule.RoomsWithTopPosters + 1;
            for (int r = 0; r < rooms; r++)
            {
                string room = $"room{r:00}";
                await root.AskAsync(new { type = "create", room });
                await root.JoinAsync(room);
                for (int i = 0; i <= r; i++)
                    await root.SayAsync(room, $"{room} {i}");
            }
            // One poster more than are listed in the lobby: poster k sends k + 1 messages, so poster0 is left out.
            var posters = new List<ChatClient>();
            try
            {
                for (int k = 0; k <= StatsModule.TopPostersPerRoom; k++)
                {
                    ChatClient poster = await ChatClient.GuestAsync(server, $"poster{k}");
                    posters.Add(poster);
                    await poster.JoinAsync("lobby");
                    for (int i = 0; i <= k; i++)
                        await poster.SayAsync("lobby", $"{k}.{i}");
                }

                JsonElement stats = await root.AskAsync(new { type = "stats" });
                JsonElement[] byRoom = stats.GetProperty("topPostersByRoom").EnumerateArray().ToArray();
                // The lobby has 21 messages, room10 11, room09 10, ...: the busiest first, as in "rooms".
                string[] expectedRooms = ["lobby", .. Enumerable.Range(0, rooms).Reverse().Take(StatsModule.RoomsWithTopPosters - 1).Select(r => $"room{r:00}")];
                Assert.Equal(expectedRooms, byRoom.Select(r => Text(r, "room")));
                Assert.Equal(expectedRooms, stats.GetProperty("rooms").EnumerateArray().Take(expectedRooms.Length).Select(r => Text(r, "room")));
                Assert.Equal(Enumerable.Range(1, StatsModule.TopPostersPerRoom).Reverse().Select(k => ($"poster{k}", true, k + 1L)),
                    Posters(byRoom[0].GetProperty("posters")));
                Assert.All(byRoom.Skip(1), r => Assert.Equal(("root", false), Posters(r.GetProperty("posters")).Select(p => (p.User, p.Guest)).Single()));
            }
            finally
            {
                foreach (ChatClient poster in posters)
                    await poster.DisposeAsync();
            }
        }
    }

    private static IEnumerable<(string User, bool Guest, long Messages)> Posters(JsonElement list) =>
        list.EnumerateArray().Select(u => (Text(u, "user")!, u.TryGetProperty("guest", out JsonElement g) && g.GetBoolean(), u.GetProperty("messages").GetInt64())).ToList();

    [Fact]
    public async Task Stats_are_for_admins_only_on_the_socket_and_over_http()
    {
        await using TestServer server = await StartAsync();
        (ChatClient root, _) = await ChatClient.RegisterAsync(server, "root");
        await using (root)
        {
            (ChatClient member, JsonElement memberWelcome) = await ChatClient.RegisterAsync(server, "member");
            await using (member)
            {
                await using ChatClient mod = await ModeratorAsync(server, root, "mod");
                AssertError(await member.AskAsync(new { type = "stats" }), "forbidden");
                AssertError(await mod.AskAsync(new { type = "stats" }), "forbidden");

                using HttpClient http = Http(server);
                async Task<HttpResponseMessage> GetAsync(string? authorization)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
                    if (authorization is not null)
                        request.Headers.TryAddWithoutValidation("Authorization", authorization);
                    return await http.SendAsync(request);
                }

                using (HttpResponseMessage missing = await GetAsync(null))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
                    Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
                }
                string unknown = new('A', 43);
                foreach (string wrong in new[] { "Basic cm9vdDpwYXNz", "Bearer", "Bearer not-a-token", $"Bearer {unknown}" })
                {
                    using HttpResponseMessage refused = await GetAsync(wrong);
                    Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                }
                using (HttpResponseMessage forbidden = await GetAsync("Bearer " + memberWelcome.GetProperty("token").GetString()))
                    Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

                // A token that was logged out is no token.
                (ChatClient leaving, JsonElement leavingWelcome) = await ChatClient.RegisterAsync(server, "leaving");
                await using (leaving)
                {
                    await leaving.AskAsync(new { type = "logout" });
                    using HttpResponseMessage revoked = await GetAsync("Bearer " + leavingWelcome.GetProperty("token").GetString());
                    Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
                }
            }
        }
    }

    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_the_counters_move_as_the_test_sends()
    {
        await using TestServer server = await StartAsync();
        using HttpClient http = Http(server);

        async Task<PrometheusParser.Scrape> ScrapeAsync()
        {
            using HttpResponseMessage response = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            return PrometheusParser.Parse(await response.Content.ReadAsStringAsync());
        }

        PrometheusParser.Scrape before = await ScrapeAsync();
        const int sent = 7;
        await using (ChatClient alice = await ChatClient.GuestAsync(server, "alice"))      // 1 message in: login
        {
            await alice.JoinAsync("lobby");                                                   // 1 in
            for (int i = 0; i < sent; i++)
                await alice.SayAsync("lobby", $"counted {i}");                                // 7 in
            AssertError(await alice.AskAsync(new { type = "nonsense" }), "unknown_type");    // 1 in
        }
        // A refused handshake: a plain GET on the WebSocket path.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(server.EndPoint);
            NetworkStream stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
            using var reader = new StreamReader(stream);
            Assert.StartsWith("HTTP/1.1 4", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        // The counters of a connection land when it closes: wait (bounded) for the server to see that.
        await Transport.Eventually.TrueAsync(() => server.App.Server.OpenConnections == 0, "the connection to close");

        PrometheusParser.Scrape after = await ScrapeAsync();
        double Delta(string series) => after[series] - before[series];
        Assert.Equal(1, Delta("rawsocketchat_connections_opened_total"));
        Assert.Equal(1, Delta("rawsocketchat_connections_closed_total"));
        Assert.Equal(0, after["rawsocketchat_connections_open"]);
        Assert.Equal(sent + 3, Delta("rawsocketchat_messages_received_total"));
        // Out: welcome, joined, then per send a message and an ack, then the error.
        Assert.Equal(2 + 2 * sent + 1, Delta("rawsocketchat_messages_sent_total"));
        Assert.True(Delta("rawsocketchat_bytes_received_total") > sent * "counted 0".Length);
        Assert.True(Delta("rawsocketchat_bytes_sent_total") > sent * "counted 0".Length * 2);
        Assert.Equal(sent, Delta("rawsocketchat_chat_messages_stored_total"));
        Assert.True(Delta("rawsocketchat_store_seconds_count{operation=\"append\"}") >= 1);
        double refused = after.Samples.Where(s => s.Key.StartsWith("rawsocketchat_handshake_failures_total")).Sum(s => s.Value)
            - before.Samples.Where(s => s.Key.StartsWith("rawsocketchat_handshake_failures_total")).Sum(s => s.Value);
        Assert.Equal(1, refused);
        Assert.Equal(0, Delta("rawsocketchat_rate_limited_total{kind=\"message\"}"));
    }

    [Fact]
    public async Task Rate_limit_hits_are_counted()
    {
        // A bucket that does not refill during the test, and a flood window long enough that one refusal is no flood.
        await using TestServer server = await TestServer.StartAsync(o => { o.Rate = 0.01; o.Burst = 2; o.FloodWindow = TimeSpan.FromSeconds(1000); });
        await using ChatClient alice = await ChatClient.GuestAsync(server, "alice");   // 1 token of 2
        await alice.SendJsonAsync(new { type = "rooms" });                            // 2 of 2
        await alice.SendJsonAsync(new { type = "rooms", @ref = "over" });
        AssertError(await alice.ReceiveAsync(m => ChatClient.Ref(m) == "over"), "rate_limited");
        PrometheusParser.Scrape scrape = PrometheusParser.Parse(server.App.Metrics.Write().ToString());
        Assert.True(scrape["rawsocketchat_rate_limited_total{kind=\"message\"}"] >= 1);
    }
}
