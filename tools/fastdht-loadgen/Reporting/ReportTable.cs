using System.Globalization;
using Spectre.Console;

namespace FastDht.LoadGen.Reporting;

/// <summary>Prints a <see cref="LoadReport"/> for a person: a summary, one latency row per operation kind, transactions, errors.</summary>
internal static class ReportTable
{
    public static void Write(IAnsiConsole console, LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;

        var summary = new Grid();
        summary.AddColumn(new GridColumn().NoWrap());
        summary.AddColumn();
        summary.AddRow("[grey]workload[/]", Markup.Escape(string.Create(c,
            $"{report.Workload}: {report.KeyCount:N0} keys, zipf {report.Zipf:0.###}, {report.ValueSize} B values, seed {report.Seed}")));
        summary.AddRow("[grey]target[/]", Markup.Escape(report.Target));
        summary.AddRow("[grey]lock strategy[/]", Markup.Escape(report.LockStrategy));
        summary.AddRow("[grey]clients[/]", report.Batch > 1
            ? string.Create(c, $"{report.Connections} connection(s) x {report.InFlightPerConnection} worker(s) x batches of {report.Batch} = {(long)report.Connections * report.InFlightPerConnection * report.Batch} in flight")
            : string.Create(c, $"{report.Connections} connection(s) x {report.InFlightPerConnection} in flight = {report.Connections * report.InFlightPerConnection} workers"));
        if (report.LoadedRecords is { } loaded)
            summary.AddRow("[grey]load phase[/]", string.Create(c, $"{loaded:N0} records inserted"));
        summary.AddRow("[grey]measured[/]", Markup.Escape(string.Create(c,
            $"{report.DurationSeconds:F2}s after {report.WarmupSeconds:0.##}s warm-up{(report.StoppedEarly ? " (stopped early by Ctrl+C)" : "")}")));
        summary.AddRow("[grey]operations[/]", string.Create(c,
            $"{report.Operations:N0} = {report.Successes:N0} successes + {report.Misses:N0} misses + {report.Errors:N0} errors"));
        summary.AddRow("[grey]throughput[/]", string.Create(c, $"[bold]{report.Throughput:N0} ops/s[/]"));
        console.Write(new Panel(summary).Header("fastdht-loadgen report").Border(BoxBorder.Rounded));

        // Counts and latencies are two tables so that each fits an 80-column terminal without folding numbers.
        var counts = new Table().Border(TableBorder.Rounded).Title("operations");
        var latencies = new Table().Border(TableBorder.Rounded).Title("latency in µs (successes and misses; errors are not timed)");
        counts.AddColumn(new TableColumn("operation").NoWrap());
        latencies.AddColumn(new TableColumn("operation").NoWrap());
        foreach (var name in (string[])["ops", "ops/s", "success", "miss", "error"])
            counts.AddColumn(new TableColumn(name).RightAligned().NoWrap());
        foreach (var name in (string[])["p50", "p90", "p99", "p99.9", "max", "mean"])
            latencies.AddColumn(new TableColumn(name).RightAligned().NoWrap());
        foreach (var op in report.ByOperation)
        {
            counts.AddRow(
                op.Kind,
                op.Operations.ToString("N0", c),
                op.Throughput.ToString("N0", c),
                op.Successes.ToString("N0", c),
                op.Misses.ToString("N0", c),
                op.Errors == 0 ? "0" : $"[red]{op.Errors.ToString("N0", c)}[/]");
            var l = op.LatencyMicroseconds;
            latencies.AddRow(op.Kind, Us(l.P50), Us(l.P90), Us(l.P99), Us(l.P999), Us(l.Max), Us(l.Mean));
        }
        console.Write(counts);
        console.Write(latencies);

        if (report.Transactions is { } t)
        {
            console.MarkupLine(string.Create(c,
                $"[grey]transactions[/] {t.Committed:N0} committed ({t.Committed / Math.Max(report.DurationSeconds, 1e-9):N0}/s), {t.GaveUp:N0} gave up, {t.Aborts:N0} aborted attempts (all attempts of those that gave up included), {t.RetriesPerCommitted:0.###} retries per commit, abort rate {t.AbortRate:P2}, at most {t.MaxAttempts:N0} attempts for one transaction"));
        }
        if (report.ErrorsByKind.Count > 0)
        {
            var errors = new Table().Border(TableBorder.Rounded).Title("errors by kind");
            errors.AddColumn("kind");
            errors.AddColumn(new TableColumn("count").RightAligned());
            foreach (var (kind, count) in report.ErrorsByKind)
                errors.AddRow(Markup.Escape(kind), count.ToString("N0", c));
            console.Write(errors);
        }
    }

    private static string Us(double microseconds) =>
        microseconds.ToString(microseconds < 100 ? "0.0" : "N0", CultureInfo.InvariantCulture);
}
