using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Protocol;
using RawSocketChat.Tests.Support;
using RawSocketChat.Transport;

namespace RawSocketChat.Tests.Transport;

/// <summary>
/// The outbound queue: <see cref="SendBuffer"/> keeps bytes in order however writes and the send loop's takes
/// interleave; the send loop batches what a <see cref="WebSocketConnection.BatchSends"/> scope queued into one write;
/// and the queue is bounded: a peer that sends but never reads cannot make the server buffer its echoes without
/// limit. Once the bytes waiting for it pass --max-send-buffer-bytes it is disconnected, and nobody else notices.
/// </summary>
public sealed class SendBufferTests
{
    /// <summary>
    /// Writes of any size (including ones that make the array grow while bytes are queued) interleaved with takes:
    /// the batches, in order, are exactly the bytes written, in order.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Batches_hold_the_written_bytes_in_order(byte[][] writes, bool[] takeAfter)
    {
        var buffer = new SendBuffer();
        var written = new List<byte>();
        var sent = new List<byte>();
        for (int i = 0; i < writes.Length; i++)
        {
            byte[] chunk = writes[i] ?? [];
            // Sometimes ask for more than is written, as FrameWriter does for a frame's header and payload.
            Span<byte> span = buffer.GetSpan(chunk.Length + (i % 3) * 100);
            chunk.CopyTo(span);
            buffer.Advance(chunk.Length);
            written.AddRange(chunk);
            if (i < takeAfter.Length && takeAfter[i])
                sent.AddRange(buffer.Take());
        }
        sent.AddRange(buffer.Take());
        bool empty = buffer.QueuedLength == 0 && buffer.Take().Count == 0;
        buffer.Release();
        return empty && sent.SequenceEqual(written);
    }

    [Fact]
    public void A_batch_stays_intact_while_the_next_one_is_written()
    {
        var buffer = new SendBuffer();
        Write(buffer, 1, 100);
        ArraySegment<byte> first = buffer.Take();
        Write(buffer, 2, 5000); // grows the new queued array; must not touch the batch being "written"
        ArraySegment<byte> second = buffer.Take();
        Assert.All(first, b => Assert.Equal(1, b));
        Assert.Equal(100, first.Count);
        Assert.All(second, b => Assert.Equal(2, b));
        Assert.Equal(5000, second.Count);
        Assert.NotSame(first.Array, second.Array);
        buffer.Release();
    }

    [Fact]
    public void Advancing_past_the_span_is_refused()
    {
        var buffer = new SendBuffer();
        int length = buffer.GetSpan(10).Length;
        Assert.Throws<InvalidOperationException>(() => buffer.Advance(length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(-1));
    }

    private static void Write(SendBuffer buffer, byte value, int count)
    {
        buffer.GetSpan(count)[..count].Fill(value);
        buffer.Advance(count);
    }

    /// <summary>
    /// Messages sent to a waiting connection inside <see cref="WebSocketConnection.BatchSends"/> leave in one write
    /// when the scope ends (none before), in order; outside a scope the first send wakes the loop at once.
    /// </summary>
    [Fact]
    [Trait("Rfc", "6455-6.1-transmit")]
    public async Task Sends_in_a_batch_scope_leave_in_one_write_when_it_ends()
    {
        await using var open = await OpenConnection.StartAsync();
        WebSocketConnection connection = open.Connection;
        RecordingStream socket = open.Socket;

        using (WebSocketConnection.BatchSends())
        {
            for (int i = 0; i < 10; i++)
                Assert.True(connection.SendText(System.Text.Encoding.UTF8.GetBytes($"message {i}")));
            Thread.Sleep(50); // the loop would have run by now had a send woken it (a scope cannot span an await)
            Assert.Equal(0, socket.Writes);
        }
        await Eventually.TrueAsync(() => socket.Writes == 1, "the batch to be written");
        // The write counts as done once the loop is back for the next batch; on a loaded machine that may take a
        // while, so wait for it instead of sleeping a fixed time. Still one write: nothing else was queued.
        await Eventually.TrueAsync(() => connection.UnsentBytes == 0, "the send loop to finish the write", TimeSpan.FromSeconds(10));
        Assert.Equal(1, socket.Writes);

        var bytes = new ReadOnlySequence<byte>(socket.Bytes);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(FrameHeader.TryParse(bytes, out FrameHeader header, out int headerLength, out _));
            Assert.Equal(Opcode.Text, header.Opcode);
            Assert.Equal($"message {i}", System.Text.Encoding.UTF8.GetString(bytes.Slice(headerLength, header.PayloadLength).ToArray()));
            bytes = bytes.Slice(headerLength + header.PayloadLength);
        }
        Assert.True(bytes.IsEmpty);

        connection.SendText("alone"u8);
        await Eventually.TrueAsync(() => socket.Writes == 2, "a send outside a scope to be written at once");
        Assert.Equal(CloseCode.AbnormalClosure, (await open.StopAsync()).Code);
    }

    /// <summary>A batch that queues 64 KiB or more for one connection does not wait for the scope to end.</summary>
    [Fact]
    [Trait("Rfc", "6455-6.1-transmit")]
    public async Task A_big_batch_starts_writing_before_the_scope_ends()
    {
        await using var open = await OpenConnection.StartAsync();
        using (WebSocketConnection.BatchSends())
        {
            Assert.True(open.Connection.SendBinary(new byte[70 * 1024]));
            Assert.True(SpinWait.SpinUntil(() => open.Socket.Writes >= 1, TimeSpan.FromSeconds(10)), "the loop was not woken");
        }
    }

    /// <summary>
    /// Eight threads send to one connection at once, some inside batch scopes, with sizes that make the queued array
    /// grow while the loop writes the other: every frame reaches the socket whole, and each thread's frames in order.
    /// </summary>
    [Fact]
    [Trait("Rfc", "6455-5.4-order")]
    public async Task Concurrent_senders_never_interleave_frames_and_keep_their_order()
    {
        const int threads = 8, perThread = 400;
        // The senders outrun the loop by megabytes: a limit that large is not what this test is about.
        await using var open = await OpenConnection.StartAsync(new ConnectionSettings { MaxSendBufferBytes = 64 << 20 });
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = 0; i < perThread; i++)
            {
                byte[] payload = new byte[8 + (i * 37 + t * 101) % 3000];
                BitConverter.TryWriteBytes(payload.AsSpan(0, 4), t);
                BitConverter.TryWriteBytes(payload.AsSpan(4, 4), i);
                payload.AsSpan(8).Fill((byte)(t + i));
                if (i % 50 < 10)
                {
                    using var batch = WebSocketConnection.BatchSends();
                    Assert.True(open.Connection.SendBinary(payload));
                }
                else
                {
                    Assert.True(open.Connection.SendBinary(payload));
                }
            }
        });
        await Eventually.TrueAsync(() => open.Connection.UnsentBytes == 0, "everything to be written");

        var bytes = new ReadOnlySequence<byte>(open.Socket.Bytes);
        int[] next = new int[threads];
        int frames = 0;
        while (!bytes.IsEmpty)
        {
            Assert.True(FrameHeader.TryParse(bytes, out FrameHeader header, out int headerLength, out _), "a frame header was cut or corrupted");
            byte[] payload = bytes.Slice(headerLength, header.PayloadLength).ToArray();
            int t = BitConverter.ToInt32(payload, 0), i = BitConverter.ToInt32(payload, 4);
            Assert.Equal(next[t]++, i);
            Assert.All(payload.Skip(8), b => Assert.Equal((byte)(t + i), b));
            bytes = bytes.Slice(headerLength + header.PayloadLength);
            frames++;
        }
        Assert.Equal(threads * perThread, frames);
    }

    /// <summary>
    /// Once the Close is queued, a send is refused and nothing follows the Close on the wire: RFC 6455 §5.5.1 ("MUST
    /// NOT send any more data frames after sending a Close frame") and §6.1 step 1 (a message is sent in the OPEN state
    /// only).
    /// </summary>
    [Fact]
    [Trait("Rfc", "6455-5.5.1-no-data-after-close")]
    [Trait("Rfc", "6455-6.1-open")]
    public async Task Nothing_is_queued_after_the_close_frame()
    {
        await using var open = await OpenConnection.StartAsync();
        WebSocketConnection connection = open.Connection;

        Assert.True(connection.SendText("before"u8));
        connection.Close(CloseCode.GoingAway, "bye");
        Assert.False(connection.IsOpen);
        Assert.False(connection.SendText("after"u8));
        Assert.False(connection.SendBinary([1, 2, 3]));
        await Eventually.TrueAsync(() => connection.UnsentBytes == 0, "the queue to be written", TimeSpan.FromSeconds(10));

        var bytes = new ReadOnlySequence<byte>(open.Socket.Bytes);
        var opcodes = new List<Opcode>();
        while (!bytes.IsEmpty)
        {
            Assert.True(FrameHeader.TryParse(bytes, out FrameHeader header, out int headerLength, out _));
            opcodes.Add(header.Opcode);
            bytes = bytes.Slice(headerLength + header.PayloadLength);
        }
        Assert.Equal([Opcode.Text, Opcode.Close], opcodes);
    }

    /// <summary>A connection over a <see cref="RecordingStream"/>, running until stopped or disposed (its input then ends).</summary>
    private sealed class OpenConnection : IAsyncDisposable
    {
        private readonly Pipe _input = new();
        private Task<CloseInfo> _run = null!;
        public RecordingStream Socket { get; } = new();
        public WebSocketConnection Connection { get; private set; } = null!;

        public static async Task<OpenConnection> StartAsync(ConnectionSettings? settings = null)
        {
            var open = new OpenConnection();
            open.Connection = new WebSocketConnection(1, open.Socket, open._input.Reader, settings ?? new ConnectionSettings(),
                new IPEndPoint(IPAddress.Loopback, 1), IPAddress.Loopback, "/test", null, onAbort: () => { });
            var handler = new OpenHandler();
            open._run = open.Connection.RunAsync(handler);
            await handler.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return open;
        }

        /// <summary>Ends the input (the peer vanishes) and returns how the connection ended.</summary>
        public async Task<CloseInfo> StopAsync()
        {
            _input.Writer.Complete();
            return await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }

        // No assertion here: an exception thrown while a failing test unwinds would hide the real failure.
        public async ValueTask DisposeAsync() => await StopAsync();
    }

    private sealed class OpenHandler : IWebSocketHandler
    {
        public TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public IReadOnlyList<string> Subprotocols => [];
        public ValueTask OnOpenAsync(WebSocketConnection connection)
        {
            Opened.SetResult();
            return ValueTask.CompletedTask;
        }
        public ValueTask OnMessageAsync(WebSocketConnection connection, Opcode opcode, ReadOnlyMemory<byte> payload) => ValueTask.CompletedTask;
        public ValueTask OnClosedAsync(WebSocketConnection connection, CloseInfo close) => ValueTask.CompletedTask;
    }

    /// <summary>A socket stand-in that keeps what is written and counts the writes.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly MemoryStream _bytes = new();
        private int _writes;
        public int Writes => Volatile.Read(ref _writes);
        public byte[] Bytes { get { lock (_bytes) return _bytes.ToArray(); } }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_bytes) _bytes.Write(buffer);
            Interlocked.Increment(ref _writes);
        }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    [Trait("Rfc", "6455-10.4-send-backlog")]
    public async Task Client_that_never_reads_is_disconnected_and_others_keep_working()
    {
        // Past the limit the server sends Close 1008 and waits --close-timeout for a peer that never reads it.
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.MaxSendBufferBytes = 64 * 1024;
            o.CloseTimeout = TimeSpan.FromSeconds(1);
        });
        // A tiny receive buffer: the kernel stops accepting echoes early, so the server's queue fills fast.
        await using RawClient greedy = await RawClient.OpenAsync(server, receiveBufferSize: 4096);
        await using RawClient polite = await RawClient.OpenAsync(server);
        byte[] message = greedy.MaskedFrame(Opcode.Binary, new byte[32 * 1024]);

        // Send 32 KiB messages and never read the echoes, until the server hangs up (the write then fails). Once
        // the echoes pass the limit, the server queues a Close, reads (and drops) what still arrives for the close
        // timeout, then drops TCP: a bound in time, not in bytes sent.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long sent = 0;
        int count = 0;
        bool disconnected = false;
        while (!disconnected && !deadline.IsCancellationRequested)
        {
            try
            {
                await greedy.SendRawAsync(message, deadline.Token);
                sent += message.Length;
                count++;
            }
            catch (IOException e) when (e.InnerException is SocketException)
            {
                disconnected = true; // reset or broken pipe: the server dropped us
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                break;
            }

            // Meanwhile another client is served as usual.
            if (count % 64 == 0)
            {
                await polite.SendTextAsync($"hello {count}");
                Assert.Equal($"hello {count}", (await polite.ReadDataFrameAsync()).Text);
            }
        }

        Assert.True(disconnected, $"the server still accepted data 20 s and {sent} bytes later, none of its echoes read");
        await Eventually.TrueAsync(() => server.LogText.Contains("send buffer limit exceeded"), "the disconnect to be logged");
        await polite.SendTextAsync("after");
        Assert.Equal("after", (await polite.ReadDataFrameAsync()).Text);
        Assert.DoesNotContain("unexpected error", server.LogText);
    }
}
