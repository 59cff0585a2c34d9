using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using RawSocketChat.Protocol;

namespace RawSocketChat.Bench.Micro;

/// <summary>
/// The whole receive path of one text message: the bytes are read from a stream (one copy into a buffer, as a socket
/// read does), the frames are parsed, unmasked, UTF-8 validated and reassembled into one message. Both sides read
/// the same bytes from the same kind of stream, a <see cref="RepeatingStream"/> standing in for the socket.
/// <list type="bullet">
/// <item>RawSocketChat: a <see cref="PipeReader"/> over the stream with the server's options, and
/// <see cref="WebSocketReceiver"/> — exactly <c>WebSocketConnection</c>'s receive loop.</item>
/// <item>ManagedWebSocket: <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/> as a server,
/// <c>ReceiveAsync</c> called until <c>EndOfMessage</c> into one buffer.</item>
/// </list>
/// Both complete synchronously (in-memory input), so only protocol and buffering work is compared.
/// </summary>
public class ReceivePathBenchmarks
{
    private byte[] _wire = [];
    private Pipe _pipe = null!;
    private PipeReader _reader = null!;
    private WebSocketReceiver _receiver = null!;
    private WebSocket _managed = null!;
    private byte[] _managedBuffer = [];

    public static IEnumerable<MessageCase> Cases => MessageCase.ReceiveCases;

    [ParamsSource(nameof(Cases))]
    public MessageCase Message = null!;

    [GlobalSetup]
    public void Setup()
    {
        _wire = Samples.ClientMessage(Opcode.Text, Samples.Text(TextKind.Latin, Message.Size), Message.Fragments);
        // Inline schedulers and no pause threshold: every flush and read completes on this thread.
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        _receiver = new WebSocketReceiver(new ReceiverOptions { MaxMessageBytes = 16 * 1024 * 1024 });
        _reader = PipeReader.Create(new RepeatingStream(_wire), Transport.Server.InputPipeOptions);

        _managed = WebSocket.CreateFromStream(new RepeatingStream(_wire), new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = TimeSpan.Zero,
        });
        _managedBuffer = new byte[Message.Size];
        // Warm both once so each starts from its steady state (buffers rented, pools primed).
        if (RawSocketChat() != Message.Size || ThroughPipe() != Message.Size || ManagedWebSocket() != Message.Size)
            throw new InvalidOperationException("receive path returned the wrong length");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _receiver.Dispose();
        _managed.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int RawSocketChat()
    {
        while (true)
        {
            ValueTask<ReadResult> pending = _reader.ReadAsync();
            if (!pending.IsCompleted)
                _receiver.ReleaseBuffers(); // as the transport does (never here: the bytes are always there)
            ReadResult read = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            ReadOnlySequence<byte> buffer = read.Buffer;
            ReceiveResult result = _receiver.Receive(ref buffer);
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.Status == ReceiveStatus.Message)
                return result.Payload.Length;
            if (result.Status != ReceiveStatus.NeedMoreData)
                throw new InvalidOperationException($"expected a message, got {result}");
        }
    }

    /// <summary>
    /// Diagnostic: the bytes copied into a <see cref="Pipe"/> by hand (write, flush) and read back (read, advance), as
    /// an earlier version of this benchmark did; the pipe's share of the cost.
    /// </summary>
    [Benchmark(Description = "RawSocketChat via Pipe write/read")]
    public int ThroughPipe()
    {
        PipeWriter writer = _pipe.Writer;
        writer.Write(_wire);                            // the socket read
        _ = writer.FlushAsync().GetAwaiter().GetResult(); // completes synchronously: no pause threshold

        _pipe.Reader.TryRead(out ReadResult read);
        ReadOnlySequence<byte> buffer = read.Buffer;
        ReceiveResult result = _receiver.Receive(ref buffer);
        _pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        if (result.Status != ReceiveStatus.Message)
            throw new InvalidOperationException($"expected a message, got {result}");
        return result.Payload.Length;
    }

    /// <summary>Diagnostic: the receiver alone over the wire bytes, without the pipe and the arrival copy.</summary>
    [Benchmark(Description = "RawSocketChat (receiver only, no pipe)")]
    public int ReceiverOnly()
    {
        var buffer = new ReadOnlySequence<byte>(_wire);
        ReceiveResult result = _receiver.Receive(ref buffer);
        return result.Payload.Length;
    }

    [Benchmark]
    public int ManagedWebSocket()
    {
        int total = 0;
        while (true)
        {
            ValueTask<ValueWebSocketReceiveResult> pending = _managed.ReceiveAsync(_managedBuffer.AsMemory(total), CancellationToken.None);
            ValueWebSocketReceiveResult result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            total += result.Count;
            if (result.EndOfMessage)
                return total;
        }
    }
}
