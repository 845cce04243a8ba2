using System.Collections.Concurrent;
using FastDht.Engine.Connections;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Transactions.Internal;
using FastDht.Locking;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// The client sessions of one node: what they share (the mesh to forward over, the coordinator, the lock table),
/// the set of open ones for the node's drain, and the idle timeout.
/// </summary>
internal sealed class ClientSessions : IClientDirectory
{
    private readonly ConcurrentDictionary<ClientSession, byte> _open = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _idleLoop = Task.CompletedTask;

    public ClientSessions(PeerMesh mesh, TransactionCoordinator coordinator, LockTable locks, SessionSettings settings, ILogger logger)
    {
        Mesh = mesh;
        Coordinator = coordinator;
        Locks = locks;
        Settings = settings;
        Logger = logger;
    }

    /// <summary>Where forwards go, and the node's identity, routing and local keys.</summary>
    public PeerMesh Mesh { get; }

    /// <summary>Runs the MultiPut, MultiGet and explicit locks clients send.</summary>
    public TransactionCoordinator Coordinator { get; }

    /// <summary>Releases a closed session's locks.</summary>
    public LockTable Locks { get; }

    public SessionSettings Settings { get; }

    /// <summary>The node's users; null when it has none and every client may do everything.</summary>
    public Security.UserDirectory? Users { get; init; }

    /// <summary>The node's TLS settings (whether peers must present a certificate); null without TLS.</summary>
    public Security.TlsOptions? Tls { get; init; }

    /// <summary>Moves slots this node owns (the MoveSlots request); null where the node cannot.</summary>
    public Mesh.Internal.SlotMover? Mover { get; init; }

    /// <summary>Admits joining nodes and removes members (ClusterJoin, RemoveNode); null where the node cannot.</summary>
    public Mesh.Internal.Membership? Membership { get; init; }

    public ILogger Logger { get; }

    public ProtocolLimits Limits => Mesh.Identity.Limits;

    /// <summary>Every session not yet closed.</summary>
    public IEnumerable<ClientSession> Open => _open.Keys;

    IEnumerable<FrameSession> IClientDirectory.OpenClients => _open.Keys;

    public CancellationToken Stopping => _stopping.Token;

    public void Register(ClientSession session) => _open.TryAdd(session, 0);

    public void Unregister(ClientSession session) => _open.TryRemove(session, out _);

    /// <summary>Starts closing sessions that stay idle longer than <see cref="SessionSettings.IdleTimeout"/>.</summary>
    public void Start()
    {
        if (Settings.IdleTimeout <= TimeSpan.Zero)
            return;
        using (ExecutionContext.SuppressFlow())
            _idleLoop = CloseIdleAsync();
    }

    /// <summary>Stops the idle check and any handshake still waiting for its Hello; the sessions are closed by the node's drain.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _idleLoop.ConfigureAwait(false);
    }

    private async Task CloseIdleAsync()
    {
        // A quarter of the timeout, between 10 ms and 1 s: a session is closed at most 25% late, and the check costs a
        // walk over the sessions a few times a second at most.
        var idle = Settings.IdleTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(Stopping).ConfigureAwait(false))
            {
                var oldest = Environment.TickCount64 - (long)idle.TotalMilliseconds;
                foreach (var session in _open.Keys)
                {
                    // A session waiting on answers it owes (a long lock wait) is not idle, however long it has been quiet.
                    if (session.LastFrameTicks < oldest && session.AnswersOwed == 0 && !session.IsClosing)
                        session.CloseIdle();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
