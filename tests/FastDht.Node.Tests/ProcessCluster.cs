using System.Globalization;
using System.Net;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Node.Tests;

/// <summary>
/// A cluster of real fastdht-node processes on 127.0.0.1: started on reserved ports, ready once every node has logged
/// every peer up, and every process killed on dispose.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    public const string ClusterName = "process-test";

    private readonly ToolProcess[] _nodes;
    private readonly string[][] _args;
    private readonly int[] _respPorts;
    private readonly int[] _httpPorts;
    private readonly IReadOnlyDictionary<string, string>? _environment;

    private ProcessCluster(MemberList members, ToolProcess[] nodes, string[][] args, int[] respPorts, int[] httpPorts, IReadOnlyDictionary<string, string>? environment)
    {
        Members = members;
        _nodes = nodes;
        _args = args;
        _respPorts = respPorts;
        _httpPorts = httpPorts;
        _environment = environment;
    }

    public MemberList Members { get; }

    public ToolProcess this[int index] => _nodes[index];

    public IPEndPoint EndPointOf(int index) => new(IPAddress.Loopback, Members.Get((ushort)index).Port);

    /// <summary>Node <paramref name="index"/>'s RESP listener: started with "{resp}" in an argument (<c>--resp 127.0.0.1:{resp}</c>), replaced by a reserved port per node.</summary>
    public IPEndPoint RespEndPointOf(int index) => new(IPAddress.Loopback, _respPorts[index]);

    /// <summary>Node <paramref name="index"/>'s status endpoint: started with "{http}" in an argument (<c>--http 127.0.0.1:{http}</c>), replaced by a reserved port per node.</summary>
    public IPEndPoint HttpEndPointOf(int index) => new(IPAddress.Loopback, _httpPorts[index]);

    /// <summary>
    /// Starts <paramref name="count"/> nodes with fast heartbeats and the extra arguments ("{node}" in one is replaced
    /// by the node's id, e.g. a data directory per node), and waits for the full mesh.
    /// A port taken by someone else between reservation and bind fails that attempt; one retry on fresh ports.
    /// </summary>
    public static Task<ProcessCluster> StartAsync(int count, params string[] extraArgs) => StartWithEnvironmentAsync(count, null, extraArgs);

    /// <summary>As <see cref="StartAsync"/>, with <paramref name="environment"/> added to every node's environment (restarts too).</summary>
    public static async Task<ProcessCluster> StartWithEnvironmentAsync(int count, IReadOnlyDictionary<string, string>? environment, params string[] extraArgs)
    {
        for (var attempt = 1; ; attempt++)
        {
            var cluster = Launch(count, environment, extraArgs);
            try
            {
                await cluster.WaitForMeshAsync().ConfigureAwait(false);
                return cluster;
            }
            catch (Exception) when (attempt == 1 && cluster.LostABindRace())
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>A key the default slot table gives to <paramref name="nodeId"/>, so a test can choose who forwards.</summary>
    public byte[] KeyOwnedBy(ushort nodeId, string prefix)
    {
        var table = SlotTable.CreateDefault(Members);
        for (var i = 0; i < 100_000; i++)
        {
            var key = Encoding.UTF8.GetBytes(prefix + i.ToString(CultureInfo.InvariantCulture));
            if (table.OwnerOf(KeySlot.Of(key)) == nodeId)
                return key;
        }
        throw new InvalidOperationException($"no key for node {nodeId} in 100000 tries");
    }

    /// <summary>Kills node <paramref name="index"/> with SIGKILL (no drain, no flush) and waits until it is gone.</summary>
    public async Task KillAsync(int index)
    {
        _nodes[index].Signal(Signals.Kill);
        await _nodes[index].WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Starts node <paramref name="index"/> again, after it exited, with the arguments it had; returns the new process once it logs <paramref name="readyLine"/>.</summary>
    public async Task<ToolProcess> RestartAsync(int index, string readyLine, params string[] moreArgs)
    {
        if (!_nodes[index].HasExited)
            throw new InvalidOperationException($"node {index} is still running");
        await _nodes[index].DisposeAsync().ConfigureAwait(false);
        _nodes[index] = ToolProcess.Start(null, _environment, ToolPaths.NodeDll, [.. _args[index], .. moreArgs]);
        await _nodes[index].WaitForLineAsync(readyLine).ConfigureAwait(false);
        return _nodes[index];
    }

    /// <summary>
    /// As <see cref="RestartAsync"/>, with SIGINT ignored at the node's start (<see cref="ToolProcess.StartWithInterruptIgnored"/>):
    /// how a script's <c>fastdht-node ... &amp;</c> starts it.
    /// </summary>
    public async Task<ToolProcess> RestartWithInterruptIgnoredAsync(int index, string readyLine)
    {
        if (!_nodes[index].HasExited)
            throw new InvalidOperationException($"node {index} is still running");
        await _nodes[index].DisposeAsync().ConfigureAwait(false);
        _nodes[index] = ToolProcess.StartWithInterruptIgnored(_environment, ToolPaths.NodeDll, _args[index]);
        await _nodes[index].WaitForLineAsync(readyLine).ConfigureAwait(false);
        return _nodes[index];
    }

    /// <summary>Runs node <paramref name="index"/>'s command line once more (it must have exited) to completion: for start-up failures.</summary>
    public async Task<(int ExitCode, string[] Stdout, string[] Stderr)> RunAgainAsync(int index, params string[] moreArgs)
    {
        if (!_nodes[index].HasExited)
            throw new InvalidOperationException($"node {index} is still running");
        return await ToolProcess.RunAsync(ToolPaths.NodeDll, [.. _args[index], .. moreArgs]).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try
            {
                if (!node.HasExited)
                    node.Signal(Signals.Continue); // a test may have frozen it
            }
            catch (InvalidOperationException)
            {
                // Exited in between.
            }
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The cluster secret every process test's nodes share, in a file (a secret is never given on the command line).</summary>
    public static string SecretFile { get; } = CreateSecretFile();

    private static string CreateSecretFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"trust-process-cluster-{Environment.ProcessId}.secret");
        File.WriteAllText(path, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        return path;
    }

    private static ProcessCluster Launch(int count, IReadOnlyDictionary<string, string>? environment, string[] extraArgs)
    {
        var resp = Array.Exists(extraArgs, a => a.Contains("{resp}", StringComparison.Ordinal));
        var http = Array.Exists(extraArgs, a => a.Contains("{http}", StringComparison.Ordinal));
        var ports = FreePorts.Reserve(count * (1 + (resp ? 1 : 0) + (http ? 1 : 0)));
        var respPorts = resp ? ports[count..(2 * count)] : [];
        var httpPorts = http ? ports[^count..] : [];
        var entries = new string[count];
        for (var i = 0; i < count; i++)
            entries[i] = string.Create(CultureInfo.InvariantCulture, $"{i}=127.0.0.1:{ports[i]}");
        var members = MemberList.Parse(entries);
        var nodes = new ToolProcess[count];
        var allArgs = new string[count][];
        for (var i = 0; i < count; i++)
        {
            var id = i.ToString(CultureInfo.InvariantCulture);
            string[] args =
            [
                "--members", string.Join(',', entries),
                "--node-id", i.ToString(CultureInfo.InvariantCulture),
                "--cluster", ClusterName,
                "--cluster-secret-file", SecretFile,
                "--heartbeat-interval", "200ms",
                "--reconnect-base-delay", "20ms",
                "--reconnect-max-delay", "500ms",
                .. Array.ConvertAll(extraArgs, a => a
                    .Replace("{node}", id, StringComparison.Ordinal)
                    .Replace("{resp}", resp ? respPorts[i].ToString(CultureInfo.InvariantCulture) : "", StringComparison.Ordinal)
                    .Replace("{http}", http ? httpPorts[i].ToString(CultureInfo.InvariantCulture) : "", StringComparison.Ordinal)),
            ];
            allArgs[i] = args;
            nodes[i] = ToolProcess.Start(null, environment, ToolPaths.NodeDll, args);
        }
        return new ProcessCluster(members, nodes, allArgs, respPorts, httpPorts, environment);
    }

    private async Task WaitForMeshAsync()
    {
        foreach (var m in Members.Members)
        {
            foreach (var peer in Members.Members)
            {
                if (peer.NodeId != m.NodeId)
                    await _nodes[m.NodeId].WaitForLineAsync($"Peer {peer.NodeId} ({peer.Address}) is up").ConfigureAwait(false);
            }
        }
    }

    private bool LostABindRace()
    {
        foreach (var node in _nodes)
        {
            foreach (var line in node.Stderr)
            {
                if (line.Contains("already in use", StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }
}
