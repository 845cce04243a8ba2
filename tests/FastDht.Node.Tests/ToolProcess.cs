using System.Diagnostics;
using System.Runtime.InteropServices;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests;

/// <summary>
/// One run of a tool as a real process (`dotnet tool.dll args`): output captured line by line, every wait bounded,
/// signals sent with kill(2), and the process killed on dispose if it is still running.
/// </summary>
internal sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _sync = new();

    private ToolProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static ToolProcess Start(string dll, params string[] args) => Start(null, dll, args);

    /// <summary>
    /// Starts the tool inside network namespace <paramref name="netns"/> (null: this process's), through
    /// <c>ip netns exec</c>, which execs the tool in place: the process (and the id signals go to) is the tool's.
    /// </summary>
    public static ToolProcess Start(string? netns, string dll, params string[] args) => Start(netns, null, dll, args);

    /// <summary>Starts the tool with <paramref name="environment"/> added to this process's environment (null: inherited as is).</summary>
    public static ToolProcess Start(string? netns, IReadOnlyDictionary<string, string>? environment, string dll, params string[] args) =>
        Launch(netns is null ? ["dotnet"] : ["ip", "netns", "exec", netns, "dotnet"], environment, dll, args);

    /// <summary>
    /// Starts the tool with SIGINT ignored, as a non-interactive shell starts a background job (<c>cmd &amp;</c>): through
    /// <c>sh</c>, which ignores it (<c>trap '' INT</c>) and execs the tool in place, so the ignored disposition is what
    /// the tool inherits and the process is the tool's.
    /// </summary>
    public static ToolProcess StartWithInterruptIgnored(IReadOnlyDictionary<string, string>? environment, string dll, params string[] args) =>
        Launch(["sh", "-c", "trap '' INT; exec \"$@\"", "sh", "dotnet"], environment, dll, args);

    private static ToolProcess Launch(string[] launcher, IReadOnlyDictionary<string, string>? environment, string dll, string[] args)
    {
        var info = new ProcessStartInfo(launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
                info.Environment[name] = value;
        }
        foreach (var a in launcher.AsSpan(1))
            info.ArgumentList.Add(a);
        info.ArgumentList.Add(dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var tool = new ToolProcess(process);
        process.OutputDataReceived += (_, e) => tool.Add(tool._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => tool.Add(tool._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tool;
    }

    /// <summary>Runs to completion (bounded) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string[] Stdout, string[] Stderr)> RunAsync(string dll, params string[] args)
    {
        await using var tool = Start(dll, args);
        var code = await tool.WaitForExitAsync().ConfigureAwait(false);
        return (code, tool.Stdout, tool.Stderr);
    }

    public string[] Stdout
    {
        get
        {
            lock (_sync)
                return [.. _stdout];
        }
    }

    public string[] Stderr
    {
        get
        {
            lock (_sync)
                return [.. _stderr];
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until some stdout line contains <paramref name="text"/>; fails with the output so far.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan? timeout = null)
    {
        try
        {
            await Bounded.UntilAsync(() => HasLine(text) || _process.HasExited, $"a line with '{text}'", timeout).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}{Environment.NewLine}{Describe()}", e);
        }
        if (!HasLine(text))
            throw new InvalidOperationException($"the process exited without printing '{text}'.{Environment.NewLine}{Describe()}");
    }

    public bool HasLine(string text)
    {
        lock (_sync)
        {
            foreach (var line in _stdout)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }

    /// <summary>Waits (bounded) for the exit and for the last output lines, and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var expiry = new CancellationTokenSource(timeout ?? Bounded.Timeout);
        try
        {
            // This overload also waits for the redirected streams to reach end of file.
            await _process.WaitForExitAsync(expiry.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the process did not exit in time.{Environment.NewLine}{Describe()}");
        }
        return _process.ExitCode;
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public string Describe()
    {
        lock (_sync)
            return $"stdout:{Environment.NewLine}{string.Join(Environment.NewLine, _stdout)}{Environment.NewLine}stderr:{Environment.NewLine}{string.Join(Environment.NewLine, _stderr)}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var expiry = new CancellationTokenSource(Bounded.Timeout);
                await _process.WaitForExitAsync(expiry.Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
            return;
        lock (_sync)
            lines.Add(line);
    }

    // DllImport rather than LibraryImport: the arguments are blittable ints, and the generator would need unsafe code.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
