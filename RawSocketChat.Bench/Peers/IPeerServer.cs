namespace RawSocketChat.Bench.Peers;

/// <summary>One of the in-box peers, running in this process.</summary>
internal interface IPeerServer : IAsyncDisposable
{
    int Port { get; }
}
