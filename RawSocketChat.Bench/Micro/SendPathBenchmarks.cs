using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// The send path of one text message into a stream that discards it.
/// <list type="bullet">
/// <item>RawSocketChat: what <c>WebSocketConnection.Send</c> and its send loop do, on one thread: take the lock,
/// <see cref="FrameWriter"/> writes header and payload into the output <see cref="Pipe"/>, flush; then the reader
/// side copies the pipe's segments to the stream and advances.</item>
/// <item>ManagedWebSocket: <c>SendAsync(ReadOnlyMemory, Text, endOfMessage: true)</c> on a server-side socket over
/// <see cref="Stream.Null"/>.</item>
/// </list>
/// </summary>
public class SendPathBenchmarks
{
    private byte[] _payload = [];
    private Pipe _pipe = null!;
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
        ManagedWebSocket();
    }

    [GlobalCleanup]
    public void Cleanup() => _managed.Dispose();

    [Benchmark(Baseline = true)]
    public long RawSocketChat()
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
