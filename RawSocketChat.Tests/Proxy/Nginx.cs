using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace RawSocketChat.Tests.Proxy;

/// <summary>
/// The real nginx (Debian's package, <c>/usr/sbin/nginx</c>) run as a child process in the foreground, with every
/// path (pid, logs, temp folders) in a temporary folder and one loopback listener per upstream server. Each
/// <c>location</c> includes <c>deploy/nginx-proxy.conf</c>, the very settings the deployment guide ships, so the
/// test proves the shipped configuration, not a copy of it.
/// </summary>
internal sealed class Nginx : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nginx";

    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _output = new();

    private Nginx(Process process, string folder, int[] ports)
    {
        _process = process;
        _folder = folder;
        Ports = ports;
    }

    /// <summary>Listening port i proxies to upstream i.</summary>
    public IReadOnlyList<int> Ports { get; }

    public Uri WebSocketUri(int upstream, string path = "/chat") => new($"ws://127.0.0.1:{Ports[upstream]}{path}");
    public Uri HttpUri(int upstream, string path = "/") => new($"http://127.0.0.1:{Ports[upstream]}{path}");

    public string ErrorLog => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : "";

    /// <summary>
    /// Skips the calling <c>[SkippableFact]</c> on a developer machine without nginx; fails on CI (the variable
    /// <c>CI</c> set), where a missing nginx means the build machine lacks <c>apt-get install nginx</c>.
    /// </summary>
    public static void Require()
    {
        if (File.Exists(Binary))
            return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Assert.Fail($"{Binary} is missing and CI is set: the reverse-proxy tests must run on CI (apt-get install nginx).");
        Skip.If(true, $"{Binary} is missing: the nginx reverse-proxy tests were skipped. Install it with: apt-get install nginx");
    }

    /// <summary>Starts nginx in front of the servers on <paramref name="upstreamPorts"/>; returns once every listener accepts.</summary>
    public static async Task<Nginx> StartAsync(params int[] upstreamPorts)
    {
        Require();
        // A free port is found by binding port 0 and letting it go; another process may take it in between, so a
        // start that fails to bind is retried with new ports.
        for (int attempt = 1; ; attempt++)
        {
            string folder = Path.Combine(Path.GetTempPath(), "rawsocketchat-nginx", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            int[] ports = upstreamPorts.Select(_ => FreePort()).ToArray();
            string config = Path.Combine(folder, "nginx.conf");
            await File.WriteAllTextAsync(config, Config(folder, ports, upstreamPorts));

            var start = new ProcessStartInfo(Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in (string[])["-p", folder + "/", "-c", config, "-e", Path.Combine(folder, "error.log")])
                start.ArgumentList.Add(arg);
            var process = new Process { StartInfo = start };
            var nginx = new Nginx(process, folder, ports);
            process.OutputDataReceived += (_, e) => nginx.Append(e.Data);
            process.ErrorDataReceived += (_, e) => nginx.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            if (await nginx.WaitListeningAsync(TimeSpan.FromSeconds(15)))
                return nginx;
            string why = nginx.ErrorLog + nginx.Output;
            await nginx.DisposeAsync();
            if (attempt < 3 && why.Contains("Address already in use", StringComparison.Ordinal))
                continue;
            throw new InvalidOperationException($"nginx did not start:\n{why}");
        }
    }

    private string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private void Append(string? line)
    {
        if (line is not null)
            lock (_output) _output.AppendLine(line);
    }

    private static string Config(string folder, int[] ports, int[] upstreams)
    {
        var servers = new StringBuilder();
        for (int i = 0; i < ports.Length; i++)
        {
            servers.Append($$"""
                    server {
                        listen 127.0.0.1:{{ports[i]}};
                        location / {
                            proxy_pass http://127.0.0.1:{{upstreams[i]}};
                            include "{{ProxySettings()}}";
                        }
                    }

                """);
        }
        // master_process off: one process, which Kill() ends entirely (a master's workers would outlive a SIGKILL).
        return $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid "{{folder}}/nginx.pid";
            error_log "{{folder}}/error.log" info;
            events { worker_connections 1024; }
            http {
                access_log "{{folder}}/access.log";
                client_body_temp_path "{{folder}}/client_body";
                proxy_temp_path "{{folder}}/proxy";
                fastcgi_temp_path "{{folder}}/fastcgi";
                uwsgi_temp_path "{{folder}}/uwsgi";
                scgi_temp_path "{{folder}}/scgi";
                # As in deploy/nginx.conf: Connection "upgrade" for WebSocket requests, "close" for the rest.
                map $http_upgrade $connection_upgrade {
                    default upgrade;
                    ''      close;
                }
            {{servers}}
            }
            """;
    }

    /// <summary>deploy/nginx-proxy.conf in the source tree.</summary>
    public static string ProxySettings() => DeployFile("nginx-proxy.conf");

    /// <summary>A file of deploy/ in the source tree (located from this file, like the interop scripts).</summary>
    public static string DeployFile(string name, [CallerFilePath] string thisFile = "")
    {
        string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile) ?? ".", "..", "..", "deploy", name));
        if (!File.Exists(path))
            throw new FileNotFoundException($"deploy/{name} was not found in the source tree", path);
        return path;
    }

    /// <summary>
    /// Runs <c>nginx -t</c> on deploy/nginx.conf as shipped, with only its certificate paths pointed at a throwaway
    /// self-signed certificate and its snippet include at deploy/nginx-proxy.conf. Returns the exit code and output.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> CheckSiteConfigAsync()
    {
        Require();
        string folder = Path.Combine(Path.GetTempPath(), "rawsocketchat-nginx", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            {
                var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=chat.example.com", key,
                    System.Security.Cryptography.HashAlgorithmName.SHA256);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
                await File.WriteAllTextAsync(Path.Combine(folder, "fullchain.pem"), certificate.ExportCertificatePem());
                await File.WriteAllTextAsync(Path.Combine(folder, "privkey.pem"), key.ExportPkcs8PrivateKeyPem());
            }
            string site = (await File.ReadAllTextAsync(DeployFile("nginx.conf")))
                .Replace("/etc/letsencrypt/live/chat.example.com/", folder + "/", StringComparison.Ordinal)
                .Replace("include snippets/rawsocketchat-proxy.conf;", $"include \"{ProxySettings()}\";", StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(folder, "site.conf"), site);
            // What Debian's /etc/nginx/nginx.conf provides around conf.d/*.conf, with every path in the folder.
            string config = Path.Combine(folder, "nginx.conf");
            await File.WriteAllTextAsync(config, $$"""
                pid "{{folder}}/nginx.pid";
                error_log "{{folder}}/error.log";
                events { }
                http {
                    access_log "{{folder}}/access.log";
                    client_body_temp_path "{{folder}}/client_body";
                    proxy_temp_path "{{folder}}/proxy";
                    fastcgi_temp_path "{{folder}}/fastcgi";
                    uwsgi_temp_path "{{folder}}/uwsgi";
                    scgi_temp_path "{{folder}}/scgi";
                    include "{{folder}}/site.conf";
                }
                """);

            var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in (string[])["-t", "-p", folder + "/", "-c", config, "-e", Path.Combine(folder, "error.log")])
                start.ArgumentList.Add(arg);
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task<bool> WaitListeningAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        foreach (int port in Ports)
        {
            while (true)
            {
                if (_process.HasExited)
                    return false;
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (clock.Elapsed < timeout)
                {
                    await Task.Delay(50);
                }
                catch (SocketException)
                {
                    return false;
                }
            }
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException) { }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
