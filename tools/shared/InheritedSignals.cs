using System.Runtime.InteropServices;

namespace FastDht.Tools;

/// <summary>
/// Takes back the stop signals (SIGINT, SIGTERM) when the process was started with them ignored, so they stop the tool
/// whoever started it. One source file, compiled into fastdht-node and fastdht-loadgen.
/// </summary>
/// <remarks>
/// Why: an ignored signal stays ignored across fork and exec. A non-interactive shell starts every background job
/// (<c>cmd &amp;</c>) with SIGINT and SIGQUIT ignored, and any parent may ignore a signal before it starts a child. The .NET
/// runtime respects an ignored signal: it installs no handler for it (System.Native, pal_signal.c, InstallSignalHandler:
/// "We respect ignored signals"), so a <see cref="PosixSignalRegistration"/> for it is created without an error and
/// never called, and the signal does nothing at all. A node started that way ran on after SIGINT without a line
/// (docs/known-issues.md, "Fixed since the audit"). A server's stop signals are its interface (systemd, docker stop,
/// an operator's kill -INT), and the load generator's first SIGINT ends a run with its report, so each resets an ignored
/// one to the default before the runtime looks (as a server in C takes them by installing its handlers
/// unconditionally); any other disposition is left alone.
/// The runtime reads the disposition once, when its signal handling starts (the first use of Console, Process or
/// PosixSignalRegistration), so <see cref="Reclaim"/> runs first thing in the program.
/// </remarks>
internal static class InheritedSignals
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    /// <summary>SIG_IGN, as sigaction(2) reports it in the handler field.</summary>
    private const nint Ignore = 1;

    /// <summary>
    /// Room for the C library's struct sigaction: 152 bytes with glibc on x64 and arm64, 16 on macOS. A zeroed one is
    /// SIG_DFL with an empty mask and no flags; the handler is its first field everywhere.
    /// </summary>
    private const int SigactionSize = 256;

    /// <summary>Resets SIGINT and SIGTERM to their default action where they were ignored.</summary>
    /// <returns>The names of the signals that were ignored and are now the process's again (empty almost always).</returns>
    public static IReadOnlyList<string> Reclaim()
    {
        if (OperatingSystem.IsWindows())
            return [];
        var reclaimed = new List<string>(2);
        try
        {
            if (ResetIfIgnored(SigInt))
                reclaimed.Add("SIGINT");
            if (ResetIfIgnored(SigTerm))
                reclaimed.Add("SIGTERM");
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // No sigaction to call: the dispositions stay as inherited.
        }
        return reclaimed;
    }

    private static bool ResetIfIgnored(int signal)
    {
        var current = new byte[SigactionSize];
        if (sigaction(signal, null, current) != 0 || MemoryMarshal.Read<nint>(current) != Ignore)
            return false;
        return sigaction(signal, new byte[SigactionSize], null) == 0;
    }

    [DllImport("libc", EntryPoint = "sigaction")]
    private static extern int sigaction(int signal, byte[]? action, [Out] byte[]? previous);
}
