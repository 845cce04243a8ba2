using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastDht.Engine.Transport;

/// <summary>Buffering, memory and accounting settings shared by every connection a listener or connector makes.</summary>
/// <remarks>
/// The pause thresholds are a security matter: they cap the bytes one connection may buffer. Without them a client
/// that sends faster than the node parses (input), or never reads its responses (output), would make the node
/// buffer without limit and exhaust its memory. Zero ("unbounded") is therefore rejected.
/// </remarks>
public sealed class ConnectionOptions
{
    private const long MiB = 1024 * 1024;
    private const long KiB = 1024;

    private PipeOptions? _inputPipeOptions;
    private PipeOptions? _outputPipeOptions;

    /// <summary>Options with every default.</summary>
    public static ConnectionOptions Default { get; } = new();

    /// <summary>Received bytes buffered before the receive loop stops reading the socket.</summary>
    /// <remarks>
    /// Defaults to 1 MiB: room for many pipelined requests and one maximum-size frame, small enough that ten
    /// thousand connections cannot pin more than ~10 GiB even when all of them are stalled. Must be greater than
    /// zero, and should exceed the protocol's maximum frame size, or a maximal frame can never be parsed whole.
    /// </remarks>
    public long InputPauseThreshold { get; init; } = 1 * MiB;

    /// <summary>Buffered received bytes below which a paused receive loop reads again.</summary>
    /// <remarks>Defaults to 512 KiB: half the pause threshold, so the loop does not flap on every parsed frame.</remarks>
    public long InputResumeThreshold { get; init; } = 512 * KiB;

    /// <summary>Unsent bytes buffered before a writer's flush waits for the socket to drain.</summary>
    /// <remarks>
    /// Defaults to 1 MiB. A peer that stops reading blocks its connection's writers once this much is queued,
    /// instead of growing the node's memory. Must be greater than zero.
    /// </remarks>
    public long OutputPauseThreshold { get; init; } = 1 * MiB;

    /// <summary>Unsent bytes below which a waiting writer resumes.</summary>
    /// <remarks>Defaults to 512 KiB: half the pause threshold.</remarks>
    public long OutputResumeThreshold { get; init; } = 512 * KiB;

    /// <summary>The size of each pipe segment rented from <see cref="MemoryPool"/>.</summary>
    /// <remarks>Defaults to 4096 bytes: one page, the pipe's own default, and the shared array pool's sweet spot.</remarks>
    public int MinimumSegmentSize { get; init; } = 4096;

    /// <summary>Where both pipes rent their memory. Must hand out array-backed memory (sends use array segments).</summary>
    /// <remarks>Defaults to <see cref="MemoryPool{T}.Shared"/>. Tests inject a counting pool to check for leaks.</remarks>
    public MemoryPool<byte> MemoryPool { get; init; } = MemoryPool<byte>.Shared;

    /// <summary>Whether an idle connection waits for data with a zero-byte receive before renting a buffer.</summary>
    /// <remarks>Defaults to true: idle connections then hold no receive buffer, at the cost of one extra receive call per burst.</remarks>
    public bool WaitForDataBeforeAllocatingBuffer { get; init; } = true;

    /// <summary>Where connections count themselves.</summary>
    /// <remarks>Defaults to <see cref="TransportCounters.Global"/>; tests pass their own to count in isolation.</remarks>
    public TransportCounters Counters { get; init; } = TransportCounters.Global;

    /// <summary>Where the transport logs connection failures (debug for routine resets).</summary>
    /// <remarks>Defaults to <see cref="NullLogger.Instance"/>.</remarks>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>TLS for connections a listener accepts: each runs the TLS handshake before its handler gets it.</summary>
    /// <remarks>Defaults to none (plain TCP). A security setting: without it every byte, passwords included, crosses the network in clear.</remarks>
    public System.Net.Security.SslServerAuthenticationOptions? TlsServer { get; init; }

    /// <summary>TLS for connections a connector dials; <c>TargetHost</c> is filled in per connection when empty.</summary>
    /// <remarks>Defaults to none (plain TCP).</remarks>
    public System.Net.Security.SslClientAuthenticationOptions? TlsClient { get; init; }

    /// <summary>How long a TLS handshake may take before the connection is dropped.</summary>
    /// <remarks>Defaults to 10 s, as the native Hello's timeout: a peer that never finishes must not hold a socket.</remarks>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether a woken parse loop or send loop runs on the thread that woke it instead of hopping to the thread pool.</summary>
    /// <remarks>
    /// Defaults to false: every pipe resumption hops to the thread pool, which lets frames from many producer
    /// threads accumulate into one send (a client's or a peer dial's connection, written by many callers). True
    /// suits a served connection, whose parse loop writes nearly every reply: the receive loop's flush runs the parse
    /// loop and the parse loop's flush runs the send, so a request costs one thread-pool work item (the socket
    /// completion) instead of three. Safe because both loops are asynchronous (a wait returns the thread to the
    /// waker); a send that cannot complete at once still leaves later frames to accumulate into the next send. Only
    /// the readers are inline: a writer released from back-pressure still resumes on the thread pool.
    /// </remarks>
    public bool InlineScheduling { get; init; }

    /// <summary>The most connections the listeners given these options keep open together; null for no bound.</summary>
    /// <remarks>
    /// Defaults to none. A listener closes a connection accepted past it at once (and logs that now and then); one
    /// object shared by several listeners bounds them together. Dialed connections are not counted.
    /// </remarks>
    public ConnectionLimit? AcceptLimit { get; init; }

    /// <summary>The unsent output a client connection may leave in the node; null for no bound but the output pause threshold.</summary>
    /// <remarks>
    /// Defaults to none. Applies only to connections whose session calls <see cref="SocketConnection.BoundAsClient"/>
    /// (served clients), so one options object can serve clients and inbound peer links alike. A security setting: see
    /// <see cref="OutputLimit"/>.
    /// </remarks>
    public OutputLimit? ClientOutputLimit { get; init; }

    /// <summary>What all client connections' buffers may hold together, and how long a client may take to finish a command; null for no such bound.</summary>
    /// <remarks>
    /// Defaults to none. Only connections whose session calls <see cref="SocketConnection.BoundAsClient"/> join it (served
    /// clients, never peer links). A security setting: see <see cref="ClientMemoryBudget"/>.
    /// </remarks>
    public ClientMemoryBudget? ClientBudget { get; init; }

    /// <summary>Which engine moves the bytes of the plain-TCP connections a listener accepts: the runtime's or FastDht's own epoll loop.</summary>
    /// <remarks>
    /// Defaults to <see cref="SocketEngineKind.Runtime"/>. <see cref="SocketEngineKind.Epoll"/> applies on Linux only
    /// (<see cref="EpollSocketEngine.IsSupported"/>; elsewhere the runtime's engine serves) and never to TLS or dialed
    /// connections (<see cref="EpollSocketEngine"/> says why).
    /// </remarks>
    public SocketEngineKind SocketEngine { get; init; }

    /// <summary>Whether the connections a connector dials are served by FastDht's epoll engine instead of the runtime's.</summary>
    /// <remarks>
    /// Defaults to false. True applies on Linux (<see cref="EpollSocketEngine.IsSupported"/>), to plain TCP dials of an IP
    /// address (TLS and host names stay on the runtime's engine): the connector then connects without the runtime's
    /// asynchronous connect, which would register the socket in the runtime's own epoll, and the event thread calls recv
    /// once per arrival where the runtime tries a receive, finds the socket empty and waits (two per arrival). The
    /// smart client's option (DhtClientOptions.SocketEngine); the node's own dials (peer links) stay on the runtime's.
    /// </remarks>
    internal bool DialsOnEpoll { get; init; }

    /// <summary>The pool of send operations; tests inject their own to check every sender comes back.</summary>
    internal SocketSenderPool SenderPool { get; init; } = SocketSenderPool.Shared;

    internal PipeOptions InputPipeOptions => _inputPipeOptions ??= CreatePipeOptions(InputPauseThreshold, InputResumeThreshold);

    internal PipeOptions OutputPipeOptions => _outputPipeOptions ??= CreatePipeOptions(OutputPauseThreshold, OutputResumeThreshold);

    /// <summary>A copy of these options with <see cref="InlineScheduling"/> set: the same counters, pool and TLS.</summary>
    internal ConnectionOptions WithInlineScheduling() =>
        new()
        {
            InputPauseThreshold = InputPauseThreshold,
            InputResumeThreshold = InputResumeThreshold,
            OutputPauseThreshold = OutputPauseThreshold,
            OutputResumeThreshold = OutputResumeThreshold,
            MinimumSegmentSize = MinimumSegmentSize,
            MemoryPool = MemoryPool,
            WaitForDataBeforeAllocatingBuffer = WaitForDataBeforeAllocatingBuffer,
            Counters = Counters,
            Logger = Logger,
            TlsServer = TlsServer,
            TlsClient = TlsClient,
            TlsHandshakeTimeout = TlsHandshakeTimeout,
            SenderPool = SenderPool,
            AcceptLimit = AcceptLimit,
            ClientOutputLimit = ClientOutputLimit,
            ClientBudget = ClientBudget,
            SocketEngine = SocketEngine,
            DialsOnEpoll = DialsOnEpoll,
            InlineScheduling = true,
        };

    /// <summary>Rejects unbounded or contradictory settings before any socket is opened.</summary>
    internal void Validate()
    {
        ValidateThresholds(InputPauseThreshold, InputResumeThreshold, nameof(InputPauseThreshold), nameof(InputResumeThreshold));
        ValidateThresholds(OutputPauseThreshold, OutputResumeThreshold, nameof(OutputPauseThreshold), nameof(OutputResumeThreshold));
        if (MinimumSegmentSize <= 0)
        {
            Throw.ArgumentOutOfRange(nameof(MinimumSegmentSize), "The segment size must be positive.");
        }
    }

    private static void ValidateThresholds(long pause, long resume, string pauseName, string resumeName)
    {
        if (pause <= 0)
        {
            Throw.ArgumentOutOfRange(pauseName, "A pause threshold must be positive: unbounded buffering lets a peer exhaust memory.");
        }

        if (resume <= 0 || resume > pause)
        {
            Throw.ArgumentOutOfRange(resumeName, "A resume threshold must be positive and at most the pause threshold.");
        }
    }

    private PipeOptions CreatePipeOptions(long pause, long resume) =>
        new(
            pool: MemoryPool,
            readerScheduler: InlineScheduling ? PipeScheduler.Inline : TransportSchedulers.Pipes,
            writerScheduler: TransportSchedulers.Pipes,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: resume,
            minimumSegmentSize: MinimumSegmentSize,
            useSynchronizationContext: false);
}
