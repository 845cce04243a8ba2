using System.Net;
using FastDht.Engine.Node;
using FastDht.Monitoring.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FastDht.Monitoring;

/// <summary>
/// A node's HTTP status endpoint: <c>/metrics</c> (Prometheus), <c>/health</c>, <c>/cluster</c> (JSON),
/// <c>/history</c> (JSON) and a status page at <c>/</c>. Read-only, unauthenticated, loopback by default.
/// </summary>
/// <remarks>
/// Kestrel over ASP.NET Core's minimal API, from the shared framework that ships with the SDK: no package to add,
/// and Kestrel's limits (connections, header size and time, keep-alive) bound what a slow or hostile HTTP client can
/// hold. It runs beside the node, on the thread pool, and touches the node only through its read-only API
/// (<see cref="DhtNode.GetPeers"/>, <see cref="DhtNode.ClusterState"/>, <see cref="DhtNode.Metrics"/>).
/// </remarks>
public sealed class StatusEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PrometheusExporter _exporter;

    private StatusEndpoint(WebApplication app, PrometheusExporter exporter, IPEndPoint endPoint)
    {
        _app = app;
        _exporter = exporter;
        EndPoint = endPoint;
    }

    /// <summary>Where the endpoint listens (the port chosen when <see cref="StatusEndpointOptions.Port"/> was 0).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts the endpoint for <paramref name="node"/>; stop it (dispose) before or with the node.</summary>
    /// <exception cref="IOException">The address or port cannot be bound.</exception>
    public static async Task<StatusEndpoint> StartAsync(DhtNode node, StatusEndpointOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        options ??= new StatusEndpointOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "FastDht.Monitoring", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
            builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.Address, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
            var limits = kestrel.Limits;
            limits.MaxConcurrentConnections = options.MaxConnections;
            limits.MaxConcurrentUpgradedConnections = 0;
            limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            limits.KeepAliveTimeout = options.KeepAliveTimeout;
            limits.MaxRequestHeadersTotalSize = options.MaxRequestHeadersTotalSize;
            limits.MaxRequestLineSize = Math.Min(options.MaxRequestHeadersTotalSize, 4096);
            limits.MaxRequestHeaderCount = 50;
            // Every route is a GET: nothing is read from a body, so none is accepted.
            limits.MaxRequestBodySize = 0;
            limits.MaxResponseBufferSize = 1 << 20;
        });
        var app = builder.Build();
        var exporter = new PrometheusExporter(node.Metrics);
        MapRoutes(app, node, exporter);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            exporter.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"the status endpoint cannot listen on {options.Address}:{options.Port}: {e.Message}", e);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        return new StatusEndpoint(app, exporter, new IPEndPoint(options.Address, port));
    }

    /// <summary>Stops listening and closes every HTTP connection.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            await _app.StopAsync(stopping.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _exporter.Dispose();
    }

    private static void MapRoutes(WebApplication app, DhtNode node, PrometheusExporter exporter)
    {
        var page = StatusPage.Html;
        app.MapGet("/", () => Results.Bytes(page, "text/html; charset=utf-8"));
        app.MapGet("/health", () => node.IsServing
            ? Results.Text("serving\n", "text/plain", statusCode: StatusCodes.Status200OK)
            : Results.Text("not serving (loading or stopping)\n", "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/cluster", () => Results.Bytes(StatusJson.Cluster(node), "application/json"));
        app.MapGet("/history", () => Results.Bytes(StatusJson.History(node), "application/json"));
        app.MapGet("/metrics", () => Results.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"));
    }
}
