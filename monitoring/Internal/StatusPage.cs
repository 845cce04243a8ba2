namespace FastDht.Monitoring.Internal;

/// <summary>The status page (<c>Internal/status.html</c>, embedded): one static file whose script polls <c>/cluster</c> and <c>/history</c>.</summary>
internal static class StatusPage
{
    /// <summary>The page's bytes, read once from the assembly.</summary>
    public static byte[] Html { get; } = Load();

    private static byte[] Load()
    {
        using var stream = typeof(StatusPage).Assembly.GetManifestResourceStream("FastDht.Monitoring.status.html")
            ?? throw new InvalidOperationException("the status page is missing from FastDht.Monitoring");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
