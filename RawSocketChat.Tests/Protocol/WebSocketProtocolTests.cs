using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;

namespace RawSocketChat.Tests.Protocol;

/// <summary>
/// The connection's state machine without a socket: peer bytes and clock ticks in, our frames and actions out. The
/// closing handshake, pings and pongs, and the timers, byte for byte; and a property that no interleaving of peer
/// frames, local sends and closes, and ticks breaks its invariants.
/// </summary>
public sealed class WebSocketProtocolTests
{
    private static readonly ProtocolTimers Timers = new(PingIntervalMs: 30_000, IdleTimeoutMs: 75_000, CloseTimeoutMs: 5_000);

    /// <summary>A protocol and the bytes it wrote; the peer's frames go in through <see cref="Peer"/>.</summary>
    private sealed class Harness
    {
        public WebSocketProtocol Protocol { get; } = new(new ReceiverOptions(), Timers, now: 0);
        public ArrayBufferWriter<byte> Output { get; } = new();
        public List<ProtocolAction> Actions { get; } = [];

        /// <summary>The peer sends whole frames; every event is reacted to, as the transport does.</summary>
        public void Peer(byte[] bytes, long now = 0)
        {
            var input = new ReadOnlySequence<byte>(bytes);
            while (true)
            {
                ReceiveResult result = Protocol.Receive(ref input, now);
                if (result.Status == ReceiveStatus.NeedMoreData)
                    return;
                Actions.Add(Protocol.React(result, Output));
            }
        }

        /// <summary>Everything we wrote, as frames (ours are never masked).</summary>
        public List<(Opcode Opcode, byte[] Payload)> Written()
        {
            var frames = new List<(Opcode, byte[])>();
            ReadOnlySpan<byte> bytes = Output.WrittenSpan;
            while (!bytes.IsEmpty)
            {
                Assert.True(FrameHeader.TryParse(bytes, out FrameHeader header, out int length, out _));
                Assert.False(header.Masked); // RFC 6455 §5.1: a server never masks
                frames.Add((header.Opcode, bytes.Slice(length, (int)header.PayloadLength).ToArray()));
                bytes = bytes[(length + (int)header.PayloadLength)..];
            }
            return frames;
        }
    }

    private static ushort CodeOf(byte[] closeBody) => BinaryPrimitives.ReadUInt16BigEndian(closeBody);

    [Fact]
    public void A_ping_is_answered_with_a_pong_carrying_the_same_data()
    {
        var h = new Harness();
        h.Peer(Frames.Masked(Opcode.Ping, "hello?"u8));
        (Opcode opcode, byte[] payload) = Assert.Single(h.Written());
        Assert.Equal((Opcode.Pong, "hello?"), (opcode, Encoding.UTF8.GetString(payload)));
        Assert.Equal([ProtocolAction.None], h.Actions);
    }

    [Fact]
    public void The_peers_close_is_echoed_and_ends_the_connection()
    {
        var h = new Harness();
        h.Peer(Frames.Masked(Opcode.Close, Frames.CloseBody(4000, "bye"u8)));
        (Opcode opcode, byte[] body) = Assert.Single(h.Written());
        Assert.Equal((Opcode.Close, (ushort)4000), (opcode, CodeOf(body)));
        Assert.Equal([ProtocolAction.CloseTcp], h.Actions);
        Assert.Equal(ConnectionState.Closed, h.Protocol.State);
        Assert.Equal(new CloseInfo(4000, "bye", CloseInitiator.Client), h.Protocol.CloseInfo);
    }

    [Fact]
    public void A_close_without_a_code_is_answered_without_one()
    {
        var h = new Harness();
        h.Peer(Frames.Masked(Opcode.Close, []));
        (Opcode opcode, byte[] body) = Assert.Single(h.Written());
        Assert.Equal((Opcode.Close, 0), (opcode, body.Length)); // 1005 never goes on the wire
    }

    [Fact]
    public void After_our_close_no_data_frame_and_no_second_close_is_written_but_pings_still_get_pongs()
    {
        var h = new Harness();
        Assert.True(h.Protocol.Send(Opcode.Text, "before"u8, h.Output));
        h.Protocol.Close(CloseCode.GoingAway, "going", h.Output, now: 0);
        Assert.False(h.Protocol.Send(Opcode.Text, "after"u8, h.Output));
        h.Protocol.Close(CloseCode.NormalClosure, "again", h.Output, now: 0);
        h.Peer(Frames.Masked(Opcode.Text, "crossing"u8));  // in flight: read, not delivered
        h.Peer(Frames.Masked(Opcode.Ping, "p"u8));
        h.Peer(Frames.Masked(Opcode.Close, Frames.CloseBody(1001)));

        Assert.Equal([Opcode.Text, Opcode.Close, Opcode.Pong], h.Written().Select(f => f.Opcode));
        Assert.Equal([ProtocolAction.None, ProtocolAction.None, ProtocolAction.CloseTcp], h.Actions);
        Assert.Equal(new CloseInfo(1001, "going", CloseInitiator.Server), h.Protocol.CloseInfo);
    }

    [Fact]
    public void A_broken_frame_fails_the_connection_with_its_close_code()
    {
        var h = new Harness();
        h.Peer(Frames.Unmasked(Opcode.Text, "not masked"u8));
        (Opcode opcode, byte[] body) = Assert.Single(h.Written());
        Assert.Equal((Opcode.Close, CloseCode.ProtocolError), (opcode, CodeOf(body)));
        Assert.Equal([ProtocolAction.CloseTcp], h.Actions);
        Assert.Equal(CloseInitiator.Server, h.Protocol.CloseInfo!.Value.InitiatedBy);
    }

    [Fact]
    public void A_quiet_peer_is_pinged_with_our_clock_then_closed_when_idle_and_dropped_when_it_does_not_answer()
    {
        var h = new Harness();
        Assert.Equal(ProtocolAction.None, h.Protocol.OnTick(29_999, h.Output));
        Assert.Empty(h.Written());
        Assert.Equal(ProtocolAction.None, h.Protocol.OnTick(30_000, h.Output));
        (Opcode opcode, byte[] payload) = Assert.Single(h.Written());
        Assert.Equal((Opcode.Ping, 30_000L), (opcode, BinaryPrimitives.ReadInt64BigEndian(payload)));
        h.Protocol.OnTick(45_000, h.Output); // one ping per interval
        Assert.Single(h.Written());

        h.Protocol.OnTick(75_000, h.Output);
        Assert.Equal(Opcode.Close, h.Written()[^1].Opcode);
        Assert.Equal(ConnectionState.CloseSent, h.Protocol.State);
        Assert.Equal(ProtocolAction.None, h.Protocol.OnTick(79_999, h.Output));
        Assert.Equal(ProtocolAction.Abort, h.Protocol.OnTick(80_000, h.Output));
        Assert.Equal(ConnectionState.Closed, h.Protocol.State);
        Assert.Equal(new CloseInfo(CloseCode.GoingAway, "idle timeout", CloseInitiator.Server), h.Protocol.CloseInfo);
    }

    [Fact]
    public void Anything_from_the_peer_resets_the_idle_timer()
    {
        var h = new Harness();
        h.Peer(Frames.Masked(Opcode.Pong, []), now: 60_000);
        h.Protocol.OnTick(75_000, h.Output);
        Assert.Equal(ConnectionState.Open, h.Protocol.State);
        Assert.DoesNotContain(h.Written(), f => f.Opcode == Opcode.Ping); // quiet for 15 s only
    }

    // ---- Any interleaving ----

    /// <summary>One step of a connection's life: something from the peer, something from us, or time passing.</summary>
    public abstract record Step
    {
        public sealed record PeerFrame(Opcode Opcode, byte[] Payload) : Step;
        public sealed record PeerClose(ushort Code) : Step;
        public sealed record PeerGarbage : Step;
        public sealed record WeSend(string Text) : Step;
        public sealed record WeClose(ushort Code) : Step;
        public sealed record Tick(long Ms) : Step;
    }

    private static readonly Gen<Step> Steps = Gen.Frequency(
        (4, Gen.Elements(Opcode.Text, Opcode.Binary, Opcode.Ping, Opcode.Pong)
            .SelectMany(op => Gen.Choose(0, 20).Select(n => (Step)new Step.PeerFrame(op, Encoding.UTF8.GetBytes(new string('x', n)))))),
        (1, Gen.Elements<ushort>(1000, 1001, 4000).Select(c => (Step)new Step.PeerClose(c))),
        (1, Gen.Constant<Step>(new Step.PeerGarbage())),
        (4, Gen.Choose(0, 20).Select(n => (Step)new Step.WeSend(new string('y', n)))),
        (1, Gen.Elements<ushort>(1000, 1001, 1008).Select(c => (Step)new Step.WeClose(c))),
        (3, Gen.Elements(1_000L, 10_000L, 31_000L, 80_000L).Select(ms => (Step)new Step.Tick(ms))));

    /// <summary>
    /// Whatever happens, in whatever order: we write at most one Close; no data frame after it; a ping is answered
    /// until the connection is closed; the TCP connection is closed (CloseTcp or Abort) only once, after both Closes,
    /// a failure or a timeout — and nothing at all is written after that.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property No_interleaving_of_peer_frames_sends_closes_and_ticks_breaks_the_closing_handshake() =>
        Prop.ForAll(Arb.From(Gen.ListOf(Steps)), steps =>
        {
            var h = new Harness();
            long now = 0;
            int ends = 0;
            bool peerClosed = false, failed = false, timedOut = false;
            foreach (Step step in steps)
            {
                ConnectionState before = h.Protocol.State;
                int writtenBefore = h.Output.WrittenCount;
                int actionsBefore = h.Actions.Count;
                switch (step)
                {
                    case Step.PeerFrame f: h.Peer(Frames.Masked(f.Opcode, f.Payload), now); break;
                    case Step.PeerClose c: h.Peer(Frames.Masked(Opcode.Close, Frames.CloseBody(c.Code)), now); peerClosed |= before != ConnectionState.Closed; break;
                    case Step.PeerGarbage: h.Peer(Frames.Unmasked(Opcode.Text, "x"u8), now); failed |= before != ConnectionState.Closed; break;
                    case Step.WeSend s:
                        bool sent = h.Protocol.Send(Opcode.Text, Encoding.UTF8.GetBytes(s.Text), h.Output);
                        if (sent != (before == ConnectionState.Open)) return false;
                        break;
                    case Step.WeClose c: h.Protocol.Close(c.Code, "", h.Output, now); break;
                    case Step.Tick t:
                        now += t.Ms;
                        if (h.Protocol.OnTick(now, h.Output) == ProtocolAction.Abort) { ends++; timedOut = true; }
                        break;
                }
                ends += h.Actions.Skip(actionsBefore).Count(a => a == ProtocolAction.CloseTcp);
                if (before == ConnectionState.Closed && h.Output.WrittenCount != writtenBefore)
                    return false; // nothing after the end
            }
            List<(Opcode Opcode, byte[] Payload)> frames = h.Written();
            int closes = frames.Count(f => f.Opcode == Opcode.Close);
            int firstClose = frames.FindIndex(f => f.Opcode == Opcode.Close);
            bool dataAfterClose = firstClose >= 0 && frames.Skip(firstClose + 1).Any(f => f.Opcode is Opcode.Text or Opcode.Binary);
            bool endedForAReason = ends == 0 || peerClosed || failed || timedOut;
            return closes <= 1 && !dataAfterClose && ends <= 1 && endedForAReason
                && (ends == 0) == (h.Protocol.State != ConnectionState.Closed);
        });
}
