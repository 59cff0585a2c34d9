using System.Text.Json;
using RawSocketChat.Tests.Support;

namespace RawSocketChat.Tests.Deflate;

/// <summary>
/// Runs one of the Node scripts in <c>RawSocketChat.Tests/node-interop/</c> (ws-deflate.mjs, ws-tls.mjs) and returns the
/// JSON object it prints last. Node missing: skipped on a developer machine, failed on CI (see
/// <see cref="NodeWs.RequireNode"/>). The <c>ws</c> package is installed with <c>npm ci</c> when absent.
/// </summary>
internal static class NodeScripts
{
    public static Task<JsonElement> RunAsync(string script, params string[] arguments) =>
        NodeWs.RunScriptAsync(script, TimeSpan.FromSeconds(60), arguments);
}
