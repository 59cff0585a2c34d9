namespace RawSocketChat.Storage;

/// <summary>
/// The database cannot be reached right now (down, unreachable, no primary, timed out), as opposed to a request it
/// refused. A store throws it so the chat can answer <c>store_unavailable</c> — "try again with the same ref" — rather
/// than <c>internal_error</c>. Nothing was acknowledged for the failed call: a retried send with the same ref is stored
/// once. The message names the database without its password.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
