using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;
using RawSocketChat.Transport;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// The send path of one text message into a stream that discards it.
/// <list type="bullet">
/// <item>RawSocketChat: what <c>WebSocketConnection.Send</c> and its send loop do for one message on an otherwise idle
/// connection, on one thread: under the lock, <see cref="FrameWriter"/> writes header and payload into the
/// <see cref="SendBuffer"/> (renting its array); then the loop takes the batch under the lock, writes it to the stream,
/// finds nothing more queued and releases the arrays to the pool, as it does before it waits. The wake-up of the loop
/// (a thread-pool hop) is left out, as the scheduling inside <c>SendAsync</c>'s stream is.</item>
/// <item>The previous design, kept as a diagnostic row: the same through a <see cref="Pipe"/> (flush, read, advance).</item>
/// <item>ManagedWebSocket: <c>SendAsync(ReadOnlyMemory, Text, endOfMessage: true)</c> on a server-side socket over
/// <see cref="Stream.Null"/>.</item>
/// </list>
/// </summary>
public class SendPathBenchmarks
{
    private byte[] _payload = [];
    private Pipe _pipe = null!;
    private readonly SendBuffer _buffer = new();
    private readonly object _lock = new();
    private WebSocket _managed = null!;
    private readonly ArrayBufferWriter<byte> _writer = new(128 * 1024);

    [Params(32, 1024, 64 * 1024)]
    public int Size;

    [GlobalSetup]
    public void Setup()
    {
        _payload = Samples.Text(TextKind.Ascii, Size);
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        _managed = WebSocket.CreateFromStream(Stream.Null, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        RawSocketChat();
        ThroughPipe();
        ManagedWebSocket();
    }

    [GlobalCleanup]
    public void Cleanup() => _managed.Dispose();

    [Benchmark(Baseline = true)]
    public int RawSocketChat()
    {
        lock (_lock)
            FrameWriter.WriteFrame(_buffer, Opcode.Text, _payload);

        ArraySegment<byte> batch;
        lock (_lock)
            batch = _buffer.Take();
        Stream.Null.Write(batch);
        lock (_lock)
        {
            if (_buffer.Take().Count == 0)
                _buffer.Release();
        }
        return batch.Count;
    }

    /// <summary>Diagnostic: the send path before <see cref="SendBuffer"/>, through an output <see cref="Pipe"/>.</summary>
    [Benchmark(Description = "RawSocketChat via Pipe (previous design)")]
    public long ThroughPipe()
    {
        lock (_lock)
        {
            FrameWriter.WriteFrame(_pipe.Writer, Opcode.Text, _payload);
            _ = _pipe.Writer.FlushAsync().GetAwaiter().GetResult();
        }

        _pipe.Reader.TryRead(out ReadResult read);
        foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            Stream.Null.Write(segment.Span);
        long length = read.Buffer.Length;
        _pipe.Reader.AdvanceTo(read.Buffer.End);
        return length;
    }

    /// <summary>Diagnostic: only the frame encoding, into a reused <see cref="ArrayBufferWriter{T}"/>.</summary>
    [Benchmark(Description = "RawSocketChat (FrameWriter only, no pipe)")]
    public int FrameWriterOnly()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WriteFrame(_writer, Opcode.Text, _payload);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public void ManagedWebSocket()
    {
        ValueTask pending = _managed.SendAsync(_payload.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        if (!pending.IsCompletedSuccessfully)
            pending.AsTask().GetAwaiter().GetResult();
    }
}
