using System.Reflection;
using RawSocketChat.Chat;
using RawSocketChat.Hosting;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;
using RawSocketChat.Storage.Mongo;
using RawSocketChat.Transport;

namespace RawSocketChat.Tests.Hosting;

/// <summary>
/// Each layer declares its settings and owns their defaults; <see cref="ServerOptions"/> starts from them and
/// <see cref="App"/> maps the options back. So the defaults are written once, and no option is lost on the way.
/// </summary>
public sealed class LayerSettingsTests
{
    [Fact]
    public void The_options_defaults_are_the_layers_defaults()
    {
        var defaults = new ServerOptions();
        Assert.Equal(new ChatSettings(), App.ChatSettingsOf(defaults));
        // Compression is on unless --deflate off, with permessage-deflate's own defaults.
        Assert.Equal(new ServerSettings { Connection = new ConnectionSettings { Deflate = new DeflateOptions() } }, App.ServerSettingsOf(defaults));
        Assert.Equal(new ReceiverOptions().MaxMessageBytes, defaults.MaxMessageBytes);
        Assert.Equal(MongoStoreOptions.DefaultTimeout, defaults.MongoTimeout);
        Assert.Equal(new MongoStoreOptions { ConnectionString = "mongodb://localhost" }.WriteConcern,
            MongoStoreOptions.ParseWriteConcern(defaults.MongoWriteConcern));
    }

    [Fact]
    public void Every_chat_and_server_setting_is_taken_from_the_option_of_its_name()
    {
        // Each settable property, changed on the options, arrives changed in the layer's settings.
        Check<ChatSettings>(App.ChatSettingsOf);
        Check<ServerSettings>(App.ServerSettingsOf, skip: [nameof(ServerSettings.Connection)]);
        Check<ConnectionSettings>(o => App.ServerSettingsOf(o).Connection,
            skip: [nameof(ConnectionSettings.Receiver), nameof(ConnectionSettings.Deflate), nameof(ConnectionSettings.Metrics)]);

        var options = new ServerOptions { MaxMessageBytes = 1000, DeflateThreshold = 7, DeflateContextTakeover = false };
        ConnectionSettings connection = App.ServerSettingsOf(options).Connection;
        Assert.Equal(1000, connection.Receiver.MaxMessageBytes);
        Assert.Equal(new DeflateOptions { Threshold = 7, ContextTakeover = false }, connection.Deflate);
        Assert.Null(App.ServerSettingsOf(new ServerOptions { Deflate = false }).Connection.Deflate);
    }

    private static void Check<T>(Func<ServerOptions, T> map, params string[] skip)
    {
        foreach (PropertyInfo setting in typeof(T).GetProperties().Where(p => p.SetMethod is not null && !skip.Contains(p.Name)))
        {
            PropertyInfo option = typeof(ServerOptions).GetProperty(setting.Name)
                ?? throw new Xunit.Sdk.XunitException($"{typeof(T).Name}.{setting.Name} has no option of its name");
            var options = new ServerOptions();
            object changed = option.GetValue(options) switch
            {
                string s => s + "x",
                int i => i + 1,
                long l => l + 1,
                double d => d + 1,
                TimeSpan t => t + TimeSpan.FromSeconds(1),
                var other => throw new Xunit.Sdk.XunitException($"no changed value for a {other?.GetType().Name}"),
            };
            option.SetValue(options, changed);
            Assert.True(Equals(changed, setting.GetValue(map(options))), $"{typeof(T).Name}.{setting.Name} is not mapped from ServerOptions.{option.Name}");
        }
    }

    [Fact]
    public void The_configurable_message_limits_are_ones_the_receiver_accepts()
    {
        // The transport's range for --max-message-bytes lies inside what ReceiverOptions itself takes (1 to Array.MaxLength).
        Assert.Equal(ConnectionSettings.MinMessageLimit, new ReceiverOptions { MaxMessageBytes = ConnectionSettings.MinMessageLimit }.MaxMessageBytes);
        Assert.Equal(ConnectionSettings.MaxMessageLimit, new ReceiverOptions { MaxMessageBytes = ConnectionSettings.MaxMessageLimit }.MaxMessageBytes);

        foreach (int limit in new[] { ConnectionSettings.MinMessageLimit, ConnectionSettings.MaxMessageLimit })
            Assert.Equal(limit, ServerOptions.Parse(["--max-message-bytes", limit.ToString()], _ => null, out _, out _)!.MaxMessageBytes);
        foreach (long limit in new[] { ConnectionSettings.MinMessageLimit - 1L, ConnectionSettings.MaxMessageLimit + 1L })
            Assert.Null(ServerOptions.Parse(["--max-message-bytes", limit.ToString()], _ => null, out _, out _));
    }
}
