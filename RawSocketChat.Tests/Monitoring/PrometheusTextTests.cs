using System.Diagnostics;
using RawSocketChat.Diagnostics;

namespace RawSocketChat.Tests.Monitoring;

/// <summary>The exposition format, byte for byte where it matters, and <see cref="ServerMetrics"/> as a scrape sees it.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void Counters_gauges_and_labels_are_written_in_the_0_0_4_text_format()
    {
        string text = new PrometheusText()
            .Counter("app_requests_total", "Requests served.", 42)
            .Counter("app_errors_total", "Errors, by kind.", "kind", [("a\"b\\c\nd", 1), ("plain", 0)])
            .Gauge("app_temperature", "Help with a \\ backslash\nand a newline.", -1.5)
            .ToString();

        Assert.Equal("""
            # HELP app_requests_total Requests served.
            # TYPE app_requests_total counter
            app_requests_total 42
            # HELP app_errors_total Errors, by kind.
            # TYPE app_errors_total counter
            app_errors_total{kind="a\"b\\c\nd"} 1
            app_errors_total{kind="plain"} 0
            # HELP app_temperature Help with a \\ backslash\nand a newline.
            # TYPE app_temperature gauge
            app_temperature -1.5

            """.ReplaceLineEndings("\n"), text);
        PrometheusParser.Scrape scrape = PrometheusParser.Parse(text);
        Assert.Equal(1, scrape["app_errors_total{kind=\"a\"b\\c\nd\"}"]);
    }

    [Fact]
    public void A_histogram_has_cumulative_buckets_ending_in_plus_inf_then_sum_and_count()
    {
        var histogram = new LatencyHistogram([0.001, 0.01]);
        histogram.ObserveTicks(Stopwatch.Frequency / 10_000); // 0.1 ms
        histogram.ObserveTicks(Stopwatch.Frequency / 200);    // 5 ms
        histogram.ObserveTicks(Stopwatch.Frequency / 200);
        histogram.ObserveTicks(Stopwatch.Frequency * 2);      // 2 s
        histogram.ObserveTicks(Stopwatch.Frequency / 1000);   // exactly the first bound: in it ("le" is less or equal)

        string text = new PrometheusText().Histogram("db_seconds", "Latency.", "op", [("read", histogram)]).ToString();
        string[] lines = text.Split('\n');
        Assert.Equal("# TYPE db_seconds histogram", lines[1]);
        Assert.Equal("db_seconds_bucket{op=\"read\",le=\"0.001\"} 2", lines[2]);
        Assert.Equal("db_seconds_bucket{op=\"read\",le=\"0.01\"} 4", lines[3]);
        Assert.Equal("db_seconds_bucket{op=\"read\",le=\"+Inf\"} 5", lines[4]);
        Assert.StartsWith("db_seconds_sum{op=\"read\"} 2.01", lines[5]);
        Assert.Equal("db_seconds_count{op=\"read\"} 5", lines[6]);
        PrometheusParser.Parse(text);
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(123456789012.0, "123456789012")]
    public void Numbers_are_written_culture_independently_with_prometheus_spellings(double value, string expected) =>
        Assert.Equal(expected, PrometheusText.Number(value));

    [Fact]
    public void Names_are_checked_and_counters_alone_end_in_total()
    {
        Assert.Throws<ArgumentException>(() => new PrometheusText().Counter("requests", "no suffix", 1));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Gauge("open_total", "a gauge named like a counter", 1));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Counter("9lives_total", "bad first character", 1));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Counter("x_total", "reserved label", "le", [("1", 1)]));
        Assert.Throws<InvalidOperationException>(() => new PrometheusText().Gauge("twice", "a", 1).Gauge("twice", "b", 2));
    }

    [Fact]
    public void Server_metrics_parse_and_report_what_was_counted()
    {
        var metrics = new ServerMetrics { UsersOnline = () => 3, Rooms = () => 2 };
        for (int i = 0; i < 5; i++)
            metrics.ConnectionOpened();
        metrics.ConnectionClosed();
        metrics.HandshakeFailed(400);
        metrics.HandshakeFailed(400);
        metrics.HandshakeFailed(503);
        metrics.HandshakeFailed(418);
        Parallel.For(0, 1000, _ =>
        {
            metrics.MessageReceived();
            metrics.BytesSent(10);
        });
        metrics.MessageRateLimited();
        metrics.LoginRateLimited();
        metrics.LoginRateLimited();
        metrics.ChatMessagesStored(7);
        metrics.StoreAppend.ObserveTicks(Stopwatch.Frequency / 100);

        PrometheusParser.Scrape scrape = PrometheusParser.Parse(metrics.Write().ToString());
        Assert.Equal(5, scrape["rawsocketchat_connections_opened_total"]);
        Assert.Equal(1, scrape["rawsocketchat_connections_closed_total"]);
        Assert.Equal(4, scrape["rawsocketchat_connections_open"]);
        Assert.Equal(2, scrape["rawsocketchat_handshake_failures_total{status=\"400\"}"]);
        Assert.Equal(1, scrape["rawsocketchat_handshake_failures_total{status=\"503\"}"]);
        Assert.Equal(1, scrape["rawsocketchat_handshake_failures_total{status=\"other\"}"]);
        Assert.Equal(0, scrape["rawsocketchat_handshake_failures_total{status=\"426\"}"]);
        Assert.Equal(1000, scrape["rawsocketchat_messages_received_total"]);
        Assert.Equal(10_000, scrape["rawsocketchat_bytes_sent_total"]);
        Assert.Equal(1, scrape["rawsocketchat_rate_limited_total{kind=\"message\"}"]);
        Assert.Equal(2, scrape["rawsocketchat_rate_limited_total{kind=\"login\"}"]);
        Assert.Equal(7, scrape["rawsocketchat_chat_messages_stored_total"]);
        Assert.Equal(3, scrape["rawsocketchat_chat_users_online"]);
        Assert.Equal(2, scrape["rawsocketchat_chat_rooms"]);
        Assert.Equal(1, scrape["rawsocketchat_store_seconds_count{operation=\"append\"}"]);
        Assert.Equal(0, scrape["rawsocketchat_store_seconds_count{operation=\"read\"}"]);
        Assert.Equal("histogram", scrape.Types["rawsocketchat_store_seconds"]);
        Assert.All(scrape.Types.Where(t => t.Value == "counter"), t => Assert.EndsWith("_total", t.Key));
    }

    [Fact]
    public void A_striped_counter_adds_up_across_threads()
    {
        var counter = new StripedCounter();
        Parallel.For(0, 10_000, i => counter.Add(i % 3));
        Assert.Equal(Enumerable.Range(0, 10_000).Sum(i => i % 3), counter.Value);
    }
}
