using System.Runtime.InteropServices;
using RawSocketChat.Diagnostics;
using RawSocketChat.Hosting;

// The entry point only wires the layers together: options → router (endpoints) → server → wait for a signal.
ServerOptions? options = ServerOptions.Parse(args, Environment.GetEnvironmentVariable, out bool help, out string? error);
if (help)
{
    Console.Write(ServerOptions.HelpText());
    return 0;
}
if (options is null)
{
    Console.Error.WriteLine($"error: {error}");
    return 2;
}

var log = new Log(options.LogLevel);
App app;
try
{
    app = await App.StartAsync(options, log);
}
catch (System.Net.Sockets.SocketException e)
{
    log.Error($"cannot listen on {options.Host}:{options.Port}: {e.Message}");
    return 1;
}
catch (RawSocketChat.Transport.TlsCertificateException e)
{
    log.Error(e.Message);
    return 1;
}
catch (RawSocketChat.Storage.StoreUnavailableException e)
{
    // The message names the MongoDB server without its password.
    log.Error(e.Message);
    return 1;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
{
    log.Error($"cannot open the store --data {options.Data}: {e.Message}");
    return 1;
}

// Ctrl+C (SIGINT) and SIGTERM both mean: shut down gracefully.
var stop = new TaskCompletionSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
// SIGHUP: reload the TLS certificate (after a renewal) without dropping a connection.
using var sighup = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
{
    context.Cancel = true; // the default action of SIGHUP ends the process
    log.Info($"received {context.Signal}");
    app.Server.ReloadTlsCertificates();
});
await stop.Task;
await app.DisposeAsync();
return 0;

void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // we exit on our own, after the connections are closed
    log.Info($"received {context.Signal}");
    stop.TrySetResult();
}
