using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace FastDht.TestUtilities;

/// <summary>
/// Hosts of their own on one machine: a Linux network namespace per host, each joined by a veth pair to a bridge the
/// lab creates (the bridge has an address too, so the test process reaches every host), and partitions made by
/// nftables rules inside the namespaces. Everything is torn down on dispose, and on process exit if a test forgot.
/// </summary>
/// <remarks>
/// Needs root and iproute2 (nftables for <see cref="Partition"/>). Names carry a random id (and the namespaces this
/// process's id), so labs of parallel tests and of other test runs on the same machine never collide; namespaces left
/// by a run that was killed are removed by the next lab once their process is gone. Addresses are
/// 10.A.B.0/24 with A.B random and not routed here yet: the bridge is .1, host i is .(10 + i).
/// </remarks>
public sealed class NetworkLab : IDisposable
{
    private const string NamespacePrefix = "fastdht-lab-";
    private static readonly Lazy<string?> Unavailable = new(Probe);
    private readonly string _id;
    private readonly int _subnet;
    private bool _disposed;

    private NetworkLab(string id, int subnet, int hosts)
    {
        _id = id;
        _subnet = subnet;
        Hosts = hosts;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Why no lab can be built here (not root, no <c>ip</c>, no network namespaces, no nftables), or null when one can: tests skip with it.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    /// <summary>How many hosts the lab has.</summary>
    public int Hosts { get; }

    /// <summary>The bridge's address: where the test process's connections to the hosts come from.</summary>
    public IPAddress BridgeAddress => AddressOf(1);

    /// <summary>Host <paramref name="host"/>'s address on the bridge.</summary>
    public IPAddress Address(int host) => AddressOf(10 + host);

    /// <summary>The network namespace of host <paramref name="host"/> (for <c>ip netns exec</c>).</summary>
    public string Namespace(int host) => string.Create(CultureInfo.InvariantCulture, $"{NamespacePrefix}{Environment.ProcessId}-{_id}-{host}");

    /// <summary>Builds a lab of <paramref name="hosts"/> hosts (at most 200).</summary>
    public static NetworkLab Create(int hosts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hosts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hosts, 200);
        RemoveOrphans();
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var lab = new NetworkLab(id, FreeSubnet(), hosts);
        try
        {
            lab.Build();
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Cuts the hosts in <paramref name="side"/> off from every other host (both directions, every protocol): nftables
    /// rules in each namespace drop packets to and from the other side, or with <paramref name="reject"/> answer them as
    /// a rejecting firewall does (a TCP reset for TCP, ICMP port unreachable for the rest: a dial across is refused at
    /// once and an open connection is reset the next time either end sends, though both processes are alive). The
    /// bridge (the test process) still reaches everyone, as a client outside the cluster would. Replaces any earlier
    /// partition.
    /// </summary>
    public void Partition(IReadOnlyCollection<int> side, bool reject = false)
    {
        ArgumentNullException.ThrowIfNull(side);
        Heal();
        for (var host = 0; host < Hosts; host++)
        {
            var inside = side.Contains(host);
            var others = new List<string>();
            for (var other = 0; other < Hosts; other++)
            {
                if (other != host && side.Contains(other) != inside)
                    others.Add(Address(other).ToString());
            }
            if (others.Count == 0)
                continue;
            var set = string.Join(", ", others);
            // A TCP reset for TCP (an open connection dies at once, as behind iptables' REJECT --reject-with tcp-reset),
            // nftables' plain reject (ICMP port unreachable) for the rest.
            var input = reject
                ? $"ip saddr {{ {set} }} meta l4proto tcp reject with tcp reset; ip saddr {{ {set} }} reject;"
                : $"ip saddr {{ {set} }} drop;";
            var output = reject
                ? $"ip daddr {{ {set} }} meta l4proto tcp reject with tcp reset; ip daddr {{ {set} }} reject;"
                : $"ip daddr {{ {set} }} drop;";
            Nft(host, $$"""
                table inet fastdht_partition {
                  chain input { type filter hook input priority 0; policy accept; {{input}} }
                  chain output { type filter hook output priority 0; policy accept; {{output}} }
                }
                """);
        }
    }

    /// <summary>Removes every partition rule: all hosts reach each other again.</summary>
    public void Heal()
    {
        for (var host = 0; host < Hosts; host++)
            Run("ip", ["netns", "exec", Namespace(host), "nft", "delete", "table", "inet", "fastdht_partition"], allowFailure: true);
    }

    /// <summary>Deletes the namespaces (which deletes their ends of the veth pairs, and so the pairs) and the bridge.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        for (var host = 0; host < Hosts; host++)
        {
            Run("ip", ["netns", "delete", Namespace(host)], allowFailure: true);
            Run("ip", ["link", "delete", HostVeth(host)], allowFailure: true);
        }
        Run("ip", ["link", "delete", Bridge], allowFailure: true);
    }

    private string Bridge => $"fdl{_id}b";

    private string HostVeth(int host) => string.Create(CultureInfo.InvariantCulture, $"fdl{_id}h{host}");

    private string InnerVeth(int host) => string.Create(CultureInfo.InvariantCulture, $"fdl{_id}p{host}");

    private IPAddress AddressOf(int last) => new([10, (byte)(_subnet >> 8), (byte)_subnet, (byte)last]);

    private void Build()
    {
        Run("ip", ["link", "add", Bridge, "type", "bridge"]);
        Run("ip", ["addr", "add", $"{BridgeAddress}/24", "dev", Bridge]);
        Run("ip", ["link", "set", Bridge, "up"]);
        for (var host = 0; host < Hosts; host++)
        {
            var ns = Namespace(host);
            Run("ip", ["netns", "add", ns]);
            Run("ip", ["link", "add", HostVeth(host), "type", "veth", "peer", "name", InnerVeth(host)]);
            Run("ip", ["link", "set", HostVeth(host), "master", Bridge, "up"]);
            Run("ip", ["link", "set", InnerVeth(host), "netns", ns]);
            Run("ip", ["-n", ns, "link", "set", InnerVeth(host), "name", "eth0"]);
            Run("ip", ["-n", ns, "addr", "add", $"{Address(host)}/24", "dev", "eth0"]);
            Run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
            Run("ip", ["-n", ns, "link", "set", "lo", "up"]);
        }
    }

    private void Nft(int host, string rules)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fastdht-lab-{_id}-{host}.nft");
        File.WriteAllText(path, rules);
        try
        {
            Run("ip", ["netns", "exec", Namespace(host), "nft", "-f", path]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    /// <summary>A /24 under 10.100-199.x.0 that no route here mentions yet (another lab, or the machine's own network).</summary>
    private static int FreeSubnet()
    {
        var routes = Run("ip", ["-4", "route", "show"]);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var subnet = ((100 + Random.Shared.Next(100)) << 8) | Random.Shared.Next(256);
            var prefix = string.Create(CultureInfo.InvariantCulture, $"10.{subnet >> 8}.{subnet & 0xFF}.");
            if (!routes.Contains(prefix, StringComparison.Ordinal))
                return subnet;
        }
        throw new InvalidOperationException("no free 10.x.y.0/24 subnet found for the lab");
    }

    /// <summary>Namespaces of labs whose test process died without disposing them (their veth pairs go with them).</summary>
    private static void RemoveOrphans()
    {
        foreach (var line in Run("ip", ["netns", "list"]).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.Split(' ')[0];
            if (!name.StartsWith(NamespacePrefix, StringComparison.Ordinal))
                continue;
            var pidText = name[NamespacePrefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
                Run("ip", ["netns", "delete", name], allowFailure: true);
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "network namespaces exist on Linux only";
        if (Environment.UserName != "root")
            return $"network namespaces need root (running as {Environment.UserName})";
        try
        {
            Run("nft", ["--version"]);
            using var lab = Create(1);
            lab.Partition([0]);
            lab.Heal();
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return $"cannot build a network lab here (needs ip, network namespaces, veth, a bridge and nftables; apt-get install iproute2 nftables; .ci/run installs them): {e.Message}";
        }
    }

    private static string Run(string file, string[] args, bool allowFailure = false)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(20_000))
        {
            process.Kill();
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish in 20 s");
        }
        if (process.ExitCode != 0 && !allowFailure)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}");
        return output.Result;
    }
}
