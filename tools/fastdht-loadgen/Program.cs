using System.CommandLine;
using FastDht.LoadGen;
using FastDht.Tools;

// First, before anything starts the runtime's signal handling (Console included): a run started with SIGINT ignored
// (a script's background job) would otherwise never see the SIGINT that ends it early with its report.
InheritedSignals.Reclaim();

// Redirected output has no terminal width; Spectre would assume 80 columns and fold the latency table. 160 fits it.
if (Console.IsOutputRedirected)
    Spectre.Console.AnsiConsole.Console.Profile.Width = 160;

var parse = LoadGenCommandLine.Build().Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
        await Console.Error.WriteLineAsync($"fastdht-loadgen: {error.Message} (see fastdht-loadgen --help)").ConfigureAwait(false);
    return LoadGenCommandLine.Failure;
}
// The load generator handles Ctrl+C itself (StopSignal): System.CommandLine's handler would end the process after a
// two-second grace period, before a run has finished its requests in flight and printed its report.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
