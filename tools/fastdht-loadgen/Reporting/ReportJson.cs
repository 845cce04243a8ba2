using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastDht.LoadGen.Reporting;

/// <summary>Writes and reads the `--json FILE` form of a report: camelCase properties, indented.</summary>
public static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(LoadReport report) => JsonSerializer.Serialize(report, Options);

    public static LoadReport? Deserialize(string json) => JsonSerializer.Deserialize<LoadReport>(json, Options);

    public static async Task WriteFileAsync(string path, LoadReport report, CancellationToken cancellationToken)
    {
        var stream = File.Create(path);
        await using (stream.ConfigureAwait(false))
            await JsonSerializer.SerializeAsync(stream, report, Options, cancellationToken).ConfigureAwait(false);
    }
}
