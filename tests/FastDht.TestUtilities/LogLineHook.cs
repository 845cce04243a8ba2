using Microsoft.Extensions.Logging;

namespace FastDht.TestUtilities;

/// <summary>
/// Loggers that hand every log line (its event id, its text and its named values) to <paramref name="onLine"/> on the
/// thread that logs it, and write nothing: a test acts at the very moment a node logs something (holds it, cuts it off).
/// </summary>
public sealed class LogLineHook(Action<EventId, string, IReadOnlyList<KeyValuePair<string, object?>>> onLine) : ILoggerFactory, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        onLine(eventId, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []);

    public void Dispose()
    {
    }
}
