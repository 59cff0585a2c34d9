using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;
using RawSocketChat.Transport;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// The send backlog's arithmetic, without a socket: a <see cref="SendBuffer"/> stands for the queue, the test plays the
/// send loop (take a batch, write it in slices, come back for the next), and time is a number. The bound: a peer that
/// reads nothing never costs more than the limit plus one message; one that reads gets every message, however large.
/// </summary>
public sealed class SendBacklogTests
{
    private const int Limit = 1000;

    /// <summary>A connection's queue and its backlog, driven the way the connection drives them.</summary>
    private sealed class Harness
    {
        public readonly SendBuffer Queue = new();
        public readonly SendBacklog Backlog;

        public Harness(long limit = Limit) => Backlog = new SendBacklog(Queue, limit);

        /// <summary>Admits and queues a message of <paramref name="length"/> bytes (its frame, here, is just its payload).</summary>
        public bool Send(int length)
        {
            if (!Backlog.TryAdmit(length, out bool oversized))
                return false;
            Queue.GetSpan(length)[..length].Clear();
            Queue.Advance(length);
            if (oversized)
                Backlog.QueuedOversized(length);
            return true;
        }

        /// <summary>The send loop comes back: the previous write is done, and what is queued is the next one.</summary>
        public int Take(long now = 0)
        {
            int count = Queue.Take().Count;
            Backlog.Taken(count, now);
            return count;
        }
    }

    [Fact]
    public void Messages_are_admitted_up_to_the_limit_and_refused_past_it()
    {
        var h = new Harness();
        Assert.True(h.Send(600));
        Assert.True(h.Send(400)); // exactly at the limit
        Assert.Equal(1000, h.Backlog.Unsent);
        Assert.False(h.Send(1));

        h.Take(); // taken, but the write is still in progress: still unsent
        Assert.Equal(1000, h.Backlog.Unsent);
        Assert.False(h.Send(1));

        h.Take(); // the loop is back with nothing queued: the write is done
        Assert.Equal(0, h.Backlog.Unsent);
        Assert.True(h.Send(Limit));
    }

    [Fact]
    public void One_message_larger_than_the_limit_is_taken_at_a_time_and_left_out_of_the_count()
    {
        var h = new Harness();
        Assert.True(h.Backlog.TryAdmit(5000, out bool oversized));
        Assert.True(oversized);
        Assert.True(h.Send(5000));

        // Behind it, the usual limit, as if it were not there.
        Assert.True(h.Send(Limit));
        Assert.False(h.Send(1));
        // A second oversized message waits for the first to be written.
        Assert.False(h.Backlog.TryAdmit(5000, out oversized));
        Assert.False(oversized);

        h.Take();
        h.Take(); // everything written
        Assert.True(h.Backlog.TryAdmit(5000, out oversized));
        Assert.True(oversized);
    }

    [Fact]
    public void The_oversized_message_counts_again_once_it_is_written_even_when_what_follows_is_not()
    {
        var h = new Harness();
        Assert.True(h.Send(5000));
        h.Take();                // the oversized message is being written
        Assert.True(h.Send(Limit));
        h.Take();                // its write is done; the next batch (1000 bytes) is in progress
        Assert.Equal(Limit, h.Backlog.Unsent);
        Assert.False(h.Send(1)); // no exception left to hide behind: the limit counts everything
        Assert.True(h.Backlog.TryAdmit(5000, out bool oversized)); // but a new oversized message may go
        Assert.True(oversized);
    }

    [Fact]
    public void A_control_frame_after_the_close_fits_within_the_limit_header_included_or_not_at_all()
    {
        var h = new Harness();
        Assert.True(h.Send(Limit - FrameHeader.MaxLength - 10));
        Assert.True(h.Backlog.FitsWithinLimit(10));
        Assert.False(h.Backlog.FitsWithinLimit(11));

        var big = new Harness();
        Assert.True(big.Send(5000)); // the oversized exception is for messages, not for frames after our Close
        Assert.False(big.Backlog.FitsWithinLimit(0));
    }

    [Fact]
    public void A_write_is_stalled_when_it_makes_no_progress_for_the_timeout()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var h = new Harness();
        Assert.False(h.Backlog.IsStalled(1_000_000, timeout)); // nothing was ever written

        Assert.True(h.Send(100));
        h.Take(now: 1_000);
        Assert.False(h.Backlog.IsStalled(30_999, timeout));
        Assert.True(h.Backlog.IsStalled(31_000, timeout));

        h.Backlog.Progressed(20_000); // a slice reached the socket: a slow write, not a stuck one
        Assert.False(h.Backlog.IsStalled(49_999, timeout));
        Assert.True(h.Backlog.IsStalled(50_000, timeout));

        h.Take(now: 60_000); // done, nothing queued: an idle connection is never stalled
        Assert.False(h.Backlog.IsStalled(1_000_000, timeout));

        Assert.True(h.Send(100));
        h.Take(now: 70_000);
        h.Backlog.WriteAbandoned(); // the peer is gone: no write is in progress any more
        Assert.False(h.Backlog.IsStalled(1_000_000, timeout));
    }

    // ---- Any sequence ----

    /// <summary>What happens to a connection's backlog: a message is offered, or the send loop comes back.</summary>
    public abstract record Step
    {
        public sealed record Offer(int Length) : Step;
        public sealed record LoopReturns : Step;
    }

    private static readonly Gen<Step> Steps = Gen.Frequency(
        (5, Gen.Choose(0, Limit / 3).Select(n => (Step)new Step.Offer(n))),
        (1, Gen.Choose(Limit - 2, Limit + 2).Select(n => (Step)new Step.Offer(n))),
        (1, Gen.Choose(Limit + 1, 4 * Limit).Select(n => (Step)new Step.Offer(n))),
        (3, Gen.Constant<Step>(new Step.LoopReturns())));

    /// <summary>
    /// Whatever the sequence of offers and of the loop's returns: the bytes accepted and not yet written (counted
    /// here apart from the backlog, message by message) never pass the limit, not counting at most one message
    /// larger than it; the backlog's <see cref="SendBacklog.Unsent"/> is exactly those bytes; and once the loop has
    /// written everything, any message is accepted, so a peer that reads is never refused.
    /// </summary>
    [Property(MaxTest = 300)]
    [Trait("Rfc", "6455-10.4-send-backlog")]
    public Property Accepted_but_unwritten_bytes_never_pass_the_limit_plus_one_oversized_message() =>
        Prop.ForAll(Arb.From(Gen.ListOf(Steps)), Arb.From(Gen.Choose(1, 4 * Limit)), (steps, lastOffer) =>
        {
            var h = new Harness();
            var unwritten = new List<int>(); // the messages accepted and not yet written, oldest first
            var writing = new List<int>();   // those of them in the write in progress (a prefix of unwritten)
            foreach (Step step in steps)
            {
                switch (step)
                {
                    case Step.Offer offer:
                        if (h.Send(offer.Length))
                            unwritten.Add(offer.Length);
                        break;
                    case Step.LoopReturns:
                        foreach (int _ in writing)
                            unwritten.RemoveAt(0);
                        h.Take();
                        writing = [.. unwritten];
                        break;
                }
                List<int> oversized = unwritten.Where(n => n > Limit).ToList();
                if (oversized.Count > 1
                    || unwritten.Sum() - oversized.Sum() > Limit
                    || h.Backlog.Unsent != unwritten.Sum())
                    return false;
            }
            h.Take();
            h.Take();
            return h.Backlog.Unsent == 0 && h.Send(lastOffer);
        });
}
