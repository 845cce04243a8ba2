using FastDht.LoadGen.Running;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FastDht.LoadGen.Progress;

/// <summary>
/// Shows a run's progress until it ends: a live Spectre.Console panel on a terminal, plain periodic lines when the
/// output is redirected (a log or a CI job would otherwise fill with escape codes), or nothing.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Displays <paramref name="progress"/> every <paramref name="interval"/> until <paramref name="run"/> completes.</summary>
    public static async Task ShowAsync(IAnsiConsole console, ProgressMode mode, LoadProgress progress, Task run, TimeSpan interval)
    {
        var sampler = new ProgressSampler(progress);
        switch (mode)
        {
            case ProgressMode.None:
                await Quietly(run).ConfigureAwait(false);
                break;
            case ProgressMode.Plain:
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(interval)).ConfigureAwait(false);
                    if (!run.IsCompleted)
                        Console.Out.WriteLine(sampler.Sample().ToLine()); // raw, so a log line is never wrapped at 80 columns
                }
                break;
            default:
                await console.Live(Render(sampler.Sample()))
                    .AutoClear(true)
                    .StartAsync(async context =>
                    {
                        while (!run.IsCompleted)
                        {
                            await Task.WhenAny(run, Task.Delay(interval)).ConfigureAwait(false);
                            context.UpdateTarget(Render(sampler.Sample()));
                            context.Refresh();
                        }
                    }).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Live when the console is an interactive terminal, plain lines otherwise.</summary>
    public static ProgressMode Resolve(ProgressMode requested, IAnsiConsole console) =>
        requested != ProgressMode.Auto ? requested
        : console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected ? ProgressMode.Live
        : ProgressMode.Plain;

    private static IRenderable Render(ProgressSample s)
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap());
        grid.AddColumn(new GridColumn().NoWrap().RightAligned());
        grid.AddRow("[grey]phase[/]", $"[bold]{s.PhaseName}[/]");
        grid.AddRow("[grey]elapsed[/]", $"{s.Elapsed.TotalSeconds:F1}s");
        grid.AddRow("[grey]remaining[/]", Markup.Escape(s.Remaining));
        grid.AddRow("[grey]operations[/]", $"{s.Completed:N0}");
        grid.AddRow("[grey]throughput[/]", $"{s.CurrentThroughput:N0} ops/s");
        grid.AddRow("[grey]errors[/]", s.Errors == 0 ? "0" : $"[red]{s.Errors:N0}[/]");
        return new Panel(grid).Header("fastdht-loadgen").Border(BoxBorder.Rounded);
    }

    // The run's own awaiter reports its failure; the display only waits for it to end.
    private static Task Quietly(Task run) => run.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
