using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FastDht.TestUtilities;

namespace FastDht.Monitoring.Tests;

/// <summary>
/// Debian's chromium, headless, with one page open and driven over the DevTools protocol (a WebSocket): the test
/// evaluates script in the live page, so it sees what the page shows as it updates, not a fresh load.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ClientWebSocket _socket;
    private readonly string _profile;
    private int _nextId;

    private HeadlessChromium(Process process, ClientWebSocket socket, string profile)
    {
        _process = process;
        _socket = socket;
        _profile = profile;
    }

    /// <summary>The browser's path, or null when it is not installed.</summary>
    public static string? Executable { get; } = Find("chromium") ?? Find("chromium-browser");

    /// <summary>Starts the browser on <paramref name="url"/> and attaches to that page.</summary>
    public static async Task<HeadlessChromium> OpenAsync(string url)
    {
        var profile = Path.Combine(Path.GetTempPath(), $"fastdht-monitoring-chromium-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo(Executable ?? throw new InvalidOperationException("chromium is not installed"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", $"--user-data-dir={profile}", url })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            var devtools = await ReadDevToolsAddressAsync(process).WithinAsync("chromium to open its DevTools port");
            var port = new Uri(devtools).Port;
            using var http = new HttpClient { Timeout = Bounded.Timeout };
            string? pageSocket = null;
            await Bounded.UntilAsync(async () =>
            {
                using var targets = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"));
                foreach (var target in targets.RootElement.EnumerateArray())
                {
                    if (target.GetProperty("type").GetString() == "page")
                        pageSocket = target.GetProperty("webSocketDebuggerUrl").GetString();
                }
                return pageSocket is not null;
            }, "chromium's page target");
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(pageSocket!), CancellationToken.None).WithinAsync("the DevTools connection");
            return new HeadlessChromium(process, socket, profile);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page; its value must be a string (JSON.stringify what is not).</summary>
    public async Task<string> EvaluateAsync(string expression)
    {
        var id = ++_nextId;
        var request = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["id"] = id,
            ["method"] = "Runtime.evaluate",
            ["params"] = new Dictionary<string, object> { ["expression"] = expression, ["returnByValue"] = true },
        });
        await _socket.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None).WithinAsync("a DevTools request");
        while (true)
        {
            using var message = JsonDocument.Parse(await ReceiveAsync().WithinAsync("a DevTools answer"));
            if (!message.RootElement.TryGetProperty("id", out var answered) || answered.GetInt32() != id)
                continue; // an event, or an older answer
            var result = message.RootElement.GetProperty("result").GetProperty("result");
            return result.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : result.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        Kill(_process);
        await _process.WaitForExitAsync().WithinAsync("chromium to exit");
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A file chromium still held as it exited: the temporary folder is cleaned by the system later.
        }
    }

    private async Task<string> ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var part = await _socket.ReceiveAsync(buffer, CancellationToken.None);
            message.Write(buffer, 0, part.Count);
            if (part.EndOfMessage)
                return Encoding.UTF8.GetString(message.ToArray());
        }
    }

    private static async Task<string> ReadDevToolsAddressAsync(Process process)
    {
        while (await process.StandardError.ReadLineAsync() is { } line)
        {
            const string marker = "DevTools listening on ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                // Keep draining stderr so the browser never blocks on a full pipe.
                _ = process.StandardError.ReadToEndAsync();
                return line[(at + marker.Length)..].Trim();
            }
        }
        throw new InvalidOperationException($"chromium exited (code {(process.HasExited ? process.ExitCode : -1)}) before opening its DevTools port");
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, where chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Executable is null)
            Skip = "chromium is not installed here (apt-get install chromium; .ci/run installs it)";
    }
}
