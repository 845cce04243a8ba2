using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Tools;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FastDht.NodeHost;

/// <summary>The executable's flow: parse, resolve the settings, start the node, wait for a signal, drain, exit.</summary>
internal static class NodeProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Before the runtime's signal handling starts (the first Console or PosixSignalRegistration): it reads then
        // whether SIGINT and SIGTERM are ignored, and never handles an ignored one.
        var reclaimed = InheritedSignals.Reclaim();
        // Before any socket exists: the runtime reads the setting when the first one is made.
        SocketEventLoop.Configure();
        var parse = NodeCommandLine.Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // The first problem is enough to fix; one line keeps the output greppable.
            return Fail($"{parse.Errors[0].Message} (see fastdht-node --help)");
        }
        if (parse.Action is not null)
            return await parse.InvokeAsync().ConfigureAwait(false); // --help, --version

        NodeSettings settings;
        try
        {
            settings = NodeSettings.Resolve(NodeCommandLine.Read(parse));
        }
        catch (ClusterConfigurationException e)
        {
            return Fail(e.Message);
        }
        // Still before any socket: the runtime reads the count with the switch above, when the first one is made.
        var socketThreads = SocketEventLoop.ConfigureThreads(settings.SocketThreads);
        return await RunNodeAsync(settings, socketThreads, reclaimed).ConfigureAwait(false);
    }

    /// <summary>What the log says about the engine: the one asked for and, for epoll, whether it runs here and on how many threads.</summary>
    private static string DescribeSocketEngine(Engine.Transport.SocketEngineKind engine)
    {
        if (engine != Engine.Transport.SocketEngineKind.Epoll)
            return "runtime";
        return Engine.Transport.EpollSocketEngine.IsSupported
            ? $"epoll ({Engine.Transport.EpollSocketEngine.Threads} event threads of its own; TLS and dialed connections on the runtime's)"
            : "runtime (epoll was asked for but needs Linux on x64 or arm64)";
    }

    private static async Task<int> RunNodeAsync(NodeSettings settings, (string Value, string Origin) socketThreads, IReadOnlyList<string> reclaimed)
    {
        // Registered before the node starts, so a signal during start-up still leads to an orderly stop.
        using var signal = new ShutdownSignal();
        using var loggerFactory = CreateLoggerFactory(settings.LogLevel);
        var logger = loggerFactory.CreateLogger("FastDht.NodeHost");
        foreach (var name in reclaimed)
            NodeHostLog.SignalReclaimed(logger, name);

        // The status endpoint's address is tried before the node starts, so a taken one stops it with nothing started
        // (exit 2 means that); the endpoint itself starts with the node, a moment later.
        if (settings.Http is { } httpAddress && ProbeBind(httpAddress) is { } taken)
            return Fail($"cannot serve the status endpoint on {httpAddress}: {taken}");

        DhtNode node;
        try
        {
            node = await DhtNode.StartAsync(settings.Options, loggerFactory).ConfigureAwait(false);
        }
        catch (ClusterConfigurationException e)
        {
            return Fail(e.Message);
        }
        catch (Exception e)
        {
            // Not a configuration problem the engine recognised: still one line, and a code that says "failed".
            NodeHostLog.Failed(logger, e);
            await Console.Error.WriteLineAsync($"fastdht-node: the node failed to start: {e.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        // Counted once the listeners run, so the line shows what the runtime made of the setting.
        var running = SocketEventLoop.CountRunningThreads() is { } count ? count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        NodeHostLog.SocketThreads(logger, running, socketThreads.Value, socketThreads.Origin);
        NodeHostLog.SocketEngine(logger, DescribeSocketEngine(settings.Options.SocketEngine));

        FastDht.Monitoring.StatusEndpoint? status = null;
        if (settings.Http is { } http)
        {
            try
            {
                status = await FastDht.Monitoring.StatusEndpoint.StartAsync(node, new FastDht.Monitoring.StatusEndpointOptions { Address = http.Address, Port = http.Port }).ConfigureAwait(false);
                NodeHostLog.StatusListening(logger, status.EndPoint.ToString());
            }
            catch (IOException e)
            {
                // The node is up but cannot be watched as asked: stop it rather than run it half configured.
                await node.DisposeAsync().ConfigureAwait(false);
                return Fail(e.Message);
            }
        }

        try
        {
            // A signal, or a client's SHUTDOWN (the node then stops on its own; StopAsync waits for that).
            var first = await Task.WhenAny(signal.Requested, node.ShutdownRequested).ConfigureAwait(false);
            if (first == signal.Requested)
                NodeHostLog.SignalReceived(logger, await signal.Requested.ConfigureAwait(false));
            await node.StopAsync().ConfigureAwait(false);
            return ExitCodes.Stopped;
        }
        catch (Exception e)
        {
            NodeHostLog.Failed(logger, e);
            return ExitCodes.Failed;
        }
        finally
        {
            if (status is not null)
                await status.DisposeAsync().ConfigureAwait(false);
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One line per event with a UTC timestamp, colour only on a terminal.</summary>
    private static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(level)
        .AddSimpleConsole(static o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = false;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.ColorBehavior = LoggerColorBehavior.Default;
        }));

    /// <summary>Null when <paramref name="endPoint"/> can be bound now; else why not.</summary>
    private static string? ProbeBind(System.Net.IPEndPoint endPoint)
    {
        try
        {
            Engine.Transport.SocketListener.Bind(endPoint).Dispose();
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse ? "the address is already in use" : e.Message;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"fastdht-node: {message}");
        return ExitCodes.BadConfiguration;
    }
}
