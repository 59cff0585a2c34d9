using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RawSocketChat.Bench.Peers;

/// <summary>
/// Peer 1: what most .NET developers would write — Kestrel with the WebSockets middleware
/// (<c>app.UseWebSockets()</c>, <c>AcceptWebSocketAsync</c>), logging off, no connection limits.
/// </summary>
internal sealed class KestrelPeer(WebApplication app, int port) : IPeerServer
{
    public int Port => port;

    public static async Task<KestrelPeer> StartAsync(IPAddress host, int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(host, port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
        });
        WebApplication app = builder.Build();
        var hub = new ChatHub();
        app.UseWebSockets();
        app.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            string path = context.Request.Path.Value ?? "/";
            string? subprotocol = context.WebSockets.WebSocketRequestedProtocols.Contains(PeerEndpoints.ChatSubprotocol)
                ? PeerEndpoints.ChatSubprotocol
                : null;
            using var socket = await context.WebSockets.AcceptWebSocketAsync(subprotocol);
            await PeerEndpoints.RunAsync(socket, path, hub, context.RequestAborted);
        });
        await app.StartAsync();

        int actualPort = port;
        if (port == 0)
        {
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            actualPort = new Uri(address).Port;
        }
        return new KestrelPeer(app, actualPort);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
    }
}
