using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using FastDht.Engine.Plugins;
using FastDht.Engine.Security;
using FastDht.Protocol;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Node;

/// <summary>Everything a node needs to start: which cluster, which member it is, where it listens, and its limits.</summary>
public sealed class NodeOptions
{
    /// <summary>The name every member and client must present in its handshake.</summary>
    /// <remarks>Defaults to "fastdht". Two clusters on one network keep apart by name.</remarks>
    public string ClusterName { get; set; } = "fastdht";

    /// <summary>The member list the cluster starts with, the same on every node; for a node that is not in it, the seeds it joins through.</summary>
    /// <remarks>
    /// The list is where a cluster starts: from then on its members are those of the cluster state, which changes as
    /// nodes join and leave (docs/elasticity.md). A node whose <see cref="NodeId"/> is not in the list joins the
    /// cluster through any member of it that answers (it must then know its own address, <see cref="AdvertisedAddress"/>).
    /// </remarks>
    public required MemberList Members { get; set; }

    /// <summary>Which member this node is: its id in <see cref="Members"/>, or the new id it joins with.</summary>
    public required ushort NodeId { get; set; }

    /// <summary>The address ("host:port") a joining node gives the cluster, where peers and clients reach its native protocol.</summary>
    /// <remarks>
    /// Defaults to null: a member's address is its entry in <see cref="Members"/>; a joining node (its id not in the
    /// list) then uses <see cref="ListenEndPoint"/> when that is a specific IP address, and otherwise must be given it.
    /// </remarks>
    public string? AdvertisedAddress { get; set; }

    /// <summary>A joining node waits for RESP <c>CLUSTER MEET</c> (as <c>redis-cli --cluster add-node</c> sends) instead of joining through its seeds at start.</summary>
    /// <remarks>
    /// Defaults to false. Only for a node whose <see cref="NodeId"/> is not in <see cref="Members"/>: until the MEET
    /// it is a member of nothing (CLUSTER NODES lists only itself), then it joins through the seed the MEET names
    /// (docs/running.md, "Growing and shrinking with redis-cli --cluster").
    /// </remarks>
    public bool JoinOnMeet { get; set; }

    /// <summary>Whether this node is not in <see cref="Members"/>, and so joins the cluster through them.</summary>
    internal bool IsJoining => Members is not null && !Members.TryGet(NodeId, out _);

    /// <summary>Where the native protocol listens.</summary>
    /// <remarks>
    /// Defaults to this member's address from the member list; when that names a host rather than an IP address,
    /// to all interfaces on that port.
    /// </remarks>
    public IPEndPoint? ListenEndPoint { get; set; }

    /// <summary>An already bound socket to listen on instead of binding <see cref="ListenEndPoint"/>; the node takes ownership.</summary>
    /// <remarks>Lets tests and embedders reserve ports without a race between choosing a port and binding it.</remarks>
    public Socket? ListenSocket { get; set; }

    /// <summary>Frame and key limits for everything this node receives.</summary>
    /// <remarks>
    /// Defaults to <see cref="ProtocolLimits.Default"/>: 64 MiB frames, 65535-byte keys. The maximum frame size bounds
    /// the largest value (a value travels to its owner in one frame; RESP's proto-max-bulk-len is derived from it) and
    /// is a security setting: it bounds what one connection can make the node buffer (about twice it).
    /// </remarks>
    public ProtocolLimits Limits { get; set; } = ProtocolLimits.Default;

    /// <summary>The lock strategy, by name; every node of one cluster must use the same one.</summary>
    /// <remarks>Defaults to "wait-die".</remarks>
    public string LockStrategy { get; set; } = "wait-die";

    /// <summary>How many times a MultiPut or MultiGet may try to take its locks before it fails with Aborted.</summary>
    /// <remarks>Defaults to 50: with the default backoff (1 ms doubling to a 100 ms cap) that is about 4.5 s of pauses.</remarks>
    public int TxnMaxAttempts { get; set; } = 50;

    /// <summary>How long a MultiPut or MultiGet may keep retrying before it fails with Aborted (nothing written).</summary>
    /// <remarks>Defaults to 10 s.</remarks>
    public TimeSpan TxnTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The lease of the locks a MultiPut or MultiGet takes: a coordinator that hangs without its link dropping frees them after this.</summary>
    /// <remarks>Defaults to 30 s. Must exceed <see cref="TxnTimeout"/>, so a transaction never outlives its own locks.</remarks>
    public TimeSpan TxnLockLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the lock table ends expired leases and over-long waits.</summary>
    /// <remarks>
    /// Defaults to 100 ms: a lease ends at most this late. A strategy that bounds waits more tightly than this (the
    /// "timeout" strategy, down to 2 ms) gets a finer scan automatically, down to 5 ms, since a wait ends only on a scan.
    /// </remarks>
    public TimeSpan LockExpiryScanInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often the "detect" strategy's global detector collects every node's wait-for edges to find deadlocks that span
    /// nodes (cycles within one node are found at once, without waiting for it). Unused by the other strategies.
    /// </summary>
    /// <remarks>
    /// Defaults to 10 ms: a cross-node deadlock lasts at most this plus a round trip to each peer, about ten lock waits on
    /// a LAN, while the detector costs one small request per peer per interval (100 per second per peer) on the node with
    /// the smallest id. Shorter breaks deadlocks sooner at the price of more requests.
    /// </remarks>
    public TimeSpan DeadlockDetectionInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How often a peer link is pinged to prove it alive.</summary>
    /// <remarks>Defaults to 1 s.</remarks>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A peer that sends nothing on its link for this long is declared down and its link is closed.</summary>
    /// <remarks>
    /// Defaults to 5 s: several missed heartbeats, so one slow GC pause does not flap the mesh. Any bytes from the peer
    /// count, not only heartbeat answers: an answer queued behind a large value arrives late, and the value's bytes
    /// show the peer alive meanwhile. Found within this plus one heartbeat interval.
    /// </remarks>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long dialing a peer may take.</summary>
    /// <remarks>Defaults to 2 s.</remarks>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First delay before redialing a peer; doubles per failure up to <see cref="ReconnectMaxDelay"/>, with jitter.</summary>
    /// <remarks>Defaults to 50 ms.</remarks>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The cap on the redial delay.</summary>
    /// <remarks>Defaults to 2 s: a returning peer is found within about two seconds.</remarks>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a forwarded request may wait for the owner's answer before the client gets Timeout.</summary>
    /// <remarks>Defaults to 5 s.</remarks>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a new native connection has to deliver a whole Hello before it is closed.</summary>
    /// <remarks>
    /// Defaults to 10 s: a client or peer on any working network sends its Hello within one round trip of
    /// connecting. A security setting: until its Hello is complete a connection is anonymous, and without this bound a
    /// socket that stays silent, or trickles its Hello a byte at a time, would hold its socket and buffers forever.
    /// </remarks>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The secret every node of the cluster shares; each peer link proves it in its handshake (docs/security.md).</summary>
    /// <remarks>
    /// Defaults to none, and a node without one accepts no peer links and dials none: a cluster of more than one
    /// member needs it (<see cref="Validate"/> says so). A security setting: whoever has it can join the cluster as a
    /// member and read and change every key, so give it from a file or the environment, never on a command line.
    /// </remarks>
    public ClusterSecret? ClusterSecret { get; set; }

    /// <summary>The users clients authenticate as (native Auth, RESP AUTH and HELLO AUTH) and their rules.</summary>
    /// <remarks>
    /// Defaults to none: every client may do everything without authenticating. A security setting: with a
    /// directory whose default user has a password (or is off), a client can do nothing but authenticate until it
    /// has (docs/security.md).
    /// </remarks>
    public UserDirectory? Users { get; set; }

    /// <summary>TLS for every listener of the node (native and RESP) and the peer links it dials (docs/security.md).</summary>
    /// <remarks>
    /// Defaults to none: plain TCP. A security setting: without TLS every key, value and password crosses the network
    /// in clear. Every node of a cluster must use TLS or none, since a node dials its peers as it listens.
    /// </remarks>
    public TlsOptions? Tls { get; set; }

    /// <summary>How long a client connection may send no request, while the node owes it no answer, before the node closes it.</summary>
    /// <remarks>
    /// Defaults to 5 minutes; <see cref="TimeSpan.Zero"/> turns it off. A security setting: it bounds how long
    /// abandoned or malicious connections hold sockets and memory. A connection waiting for an answer (a lock wait,
    /// a MultiPut in progress) is never idle. Peer links are not affected (heartbeats keep them busy and prove them
    /// alive). The smart client (DhtClient) redials a connection the node closed on its next request.
    /// </remarks>
    public TimeSpan ClientIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a stop waits for in-flight requests, and for its clients to close, before closing connections anyway.</summary>
    /// <remarks>
    /// Defaults to 5 s. While it lasts, each client has been told the node is going away and every request it still sends
    /// is answered ShuttingDown, unrun (docs/protocol.md §3); a client connection that stays silent for a quarter of it
    /// (1.25 s by default) is closed before it ends. 0: no drain (requests not yet read are lost with the connection).
    /// </remarks>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where connections rent their buffers.</summary>
    /// <remarks>Defaults to <see cref="System.Buffers.MemoryPool{T}.Shared"/>. Tests pass a counting pool to prove nothing leaks.</remarks>
    public System.Buffers.MemoryPool<byte>? MemoryPool { get; set; }

    /// <summary>The wire protocols, stores and lock strategies the node is assembled from, by name.</summary>
    /// <remarks>Defaults to <see cref="PluginRegistry.CreateDefault"/>: protocols "native" and "resp", store "sharded", the built-in lock strategies.</remarks>
    public PluginRegistry Plugins { get; set; } = PluginRegistry.CreateDefault();

    /// <summary>Extra protocol listeners: protocol name (from <see cref="Plugins"/>) to the endpoint it listens on, e.g. "resp" to 127.0.0.1:6380.</summary>
    /// <remarks>
    /// Defaults to empty: only the native protocol, on <see cref="ListenEndPoint"/>. Port 0 picks a free port; the
    /// real address is what the node reports to its peers (and what RESP's CLUSTER SLOTS shows).
    /// </remarks>
    public IDictionary<string, IPEndPoint> Listeners { get; } = new Dictionary<string, IPEndPoint>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The store, by name in <see cref="Plugins"/>; ignored when a store instance is passed to <see cref="DhtNode.StartAsync"/>.</summary>
    /// <remarks>Defaults to "sharded".</remarks>
    public string Store { get; set; } = ProtocolNames.ShardedStore;

    /// <summary>The folder of the node's write-ahead log: set, every change is logged before it is acknowledged and replayed when the node starts again.</summary>
    /// <remarks>
    /// Defaults to null: the node keeps its keys in memory only, and a restarted node starts empty. The folder is
    /// created if missing and locked while the node runs (a second node on it fails to start); it holds the log's
    /// segment files (<c>*.wal</c>), snapshots (<c>*.snap</c>) and a <c>LOCK</c> file. See docs/running.md.
    /// </remarks>
    public string? DataDir { get; set; }

    /// <summary>When logged writes are forced to disk: <c>always</c>, <c>everysec</c> or <c>no</c>, with Redis's appendfsync meanings.</summary>
    /// <remarks>
    /// Defaults to <see cref="FsyncPolicy.Always"/>: a reply waits until its write is on disk (one fsync covers every
    /// write that arrived meanwhile), so no acknowledged write is lost even on power loss. Under everysec and no a reply
    /// waits only until the write reached the operating system (a killed process loses nothing acknowledged; a power
    /// loss about the last second, or more under no). Only used with <see cref="DataDir"/>.
    /// </remarks>
    public FsyncPolicy Fsync { get; set; } = FsyncPolicy.Always;

    /// <summary>Under <c>always</c>: how long a group commit may wait for the other writers in flight before its fsync; zero never waits.</summary>
    /// <remarks>
    /// Defaults to 200 µs (PostgreSQL's <c>commit_delay</c>, cut short as soon as they are in). A round waits only when
    /// the previous fsync answered several writers and fewer of them have written again, so a lone writer never waits;
    /// with many clients one fsync then covers them all instead of two fsyncs covering them in halves (docs/storage.md,
    /// "Group commit"). At most 100 ms. Only used with <see cref="DataDir"/>.
    /// </remarks>
    public TimeSpan GroupCommitDelay { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>Redis's maxmemory for the node's RESP clients, in bytes: 0 sets no limit.</summary>
    /// <remarks>
    /// Defaults to 0 (no limit), as Redis. With a limit, RESP commands that may add memory (Redis's denyoom flag: SET,
    /// INCR, APPEND, MSET...) answer <c>-OOM</c> while this node's managed heap is above it, and reads and deletes go
    /// on: Redis's noeviction policy, the only one (docs/resp-server.md). <c>CONFIG SET maxmemory</c> changes it at run
    /// time. Native clients are not limited by it.
    /// </remarks>
    public long MaxMemory { get; set; }

    /// <summary>Redis's notify-keyspace-events: the keyspace-notification classes on at start (Redis's letters, "KEA", "Ex"...); null or empty: off.</summary>
    /// <remarks>
    /// Defaults to off, as Redis. Events are published to the subscribers of the node where the key lives
    /// (docs/resp-server.md, "Keyspace notifications"); <c>CONFIG SET notify-keyspace-events</c> changes it at run time.
    /// </remarks>
    public string? NotifyKeyspaceEvents { get; set; }

    /// <summary>What the Lua states of all scripts running or pooled on this node may hold together, in bytes.</summary>
    /// <remarks>
    /// Defaults to 512 MiB: two scripts at the per-script limit (256 MiB) at once. Scripts of different connections run
    /// at the same time here (Redis runs one), so the per-script limit alone multiplied: 25 concurrent <c>EVAL</c>s took a
    /// node to 5.4 GB. A script whose allocation would pass either limit fails with "the script ran out of memory" and
    /// nothing else is affected; INFO memory's <c>used_memory_lua</c> shows what the states hold now.
    /// </remarks>
    public long ScriptMemoryLimit { get; set; } = 512L << 20;

    /// <summary>The most connections the node's listeners (native and RESP together) keep open at once; 0 derives it from the file descriptor limit.</summary>
    /// <remarks>
    /// Redis's maxclients. Defaults to 0: the process's open-files limit less the descriptors open at start and 256
    /// kept for the node itself (on Linux; elsewhere no bound). A connection accepted past it is closed at once and
    /// logged now and then. Without a bound a flood of idle connections took the last descriptor and the runtime
    /// aborted the process. Inbound peer links count too: keep room for the members.
    /// </remarks>
    public int MaxClients { get; set; }

    /// <summary>Unsent replies a client connection (native or RESP) may leave in the node before it is closed; 0 for no such bound.</summary>
    /// <remarks>
    /// Redis's <c>client-output-buffer-limit normal</c> hard limit. Defaults to 256 MiB. A security setting: a client that
    /// sends commands and never reads the replies is otherwise held at the output pause threshold (twice the maximum
    /// frame, 128 MiB by default) for as long as it stays connected, and a few dozen such clients pin gigabytes. Past the
    /// bound the connection is closed and a warning (event 1009) logged. Inbound peer links are never bounded by it.
    /// </remarks>
    public long ClientHardOutputLimit { get; set; } = 256L << 20;

    /// <summary>Unsent replies a client connection may stay above for at most <see cref="ClientSoftOutputTime"/> before it is closed; 0 for no such bound.</summary>
    /// <remarks>
    /// Redis's soft limit. Defaults to 64 MiB: with the default 128 MiB output pause threshold a client that stopped
    /// reading is closed <see cref="ClientSoftOutputTime"/> after it fell behind, while one that reads a large reply
    /// slowly (below 64 MiB behind) is never closed.
    /// </remarks>
    public long ClientSoftOutputLimit { get; set; } = 64L << 20;

    /// <summary>How long a client connection's unsent replies may stay above <see cref="ClientSoftOutputLimit"/>.</summary>
    /// <remarks>Defaults to 60 s, as Redis's pubsub class.</remarks>
    public TimeSpan ClientSoftOutputTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>What all client connections' input and output buffers may hold together before the node closes the clients holding the most; 0 derives it.</summary>
    /// <remarks>
    /// Redis's <c>maxmemory-clients</c>. Defaults to 0: a tenth of the memory the process may use (the container's limit
    /// or the machine's memory, <see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>), but at least four frames (one
    /// client sending and being sent a maximal value). A security setting: each client is bounded on its own (the pause
    /// thresholds, twice the frame size each way; <see cref="ClientHardOutputLimit"/>), but those bounds multiply by the
    /// number of clients, and twenty clients that never read took a node from 75 MB to 3 GB. Checked ten times a second;
    /// past it the biggest clients are closed first until the rest fit, each with a warning (event 1010), counted in
    /// INFO's <c>evicted_clients</c>. Inbound peer links are never counted nor closed.
    /// </remarks>
    public long MaxMemoryClients { get; set; }

    /// <summary>How long a client connection may hold part of a command without finishing it before the node closes it; zero for no bound.</summary>
    /// <remarks>
    /// Defaults to 60 s. A security setting against slow-loris clients: a command finished restarts the clock, bytes that
    /// only add to the unfinished one do not, so a client that sends 59 MiB of a 60 MiB value and then a byte now and
    /// then is closed (warning, event 1011) instead of holding the memory and the connection forever. A client sending
    /// a maximal value must send it within this time (64 MiB in 60 s: about 1.1 MB/s). Native and RESP clients alike;
    /// Redis has no such bound (its <c>timeout</c>, idle time, is off by default and a trickle resets it).
    /// </remarks>
    public TimeSpan ClientQueryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Which engine moves the bytes of served plain-TCP connections: runtime (.NET's sockets) or epoll (FastDht's own Linux event loop).</summary>
    /// <remarks>
    /// Defaults to runtime. epoll (Linux; elsewhere the runtime's engine serves) reads a socket only when the kernel
    /// said it has data (one recv per request instead of two) and runs each batch of ready connections on FastDht's
    /// own event threads (<see cref="Transport.EpollSocketEngine"/>); TLS connections and the node's own dials always
    /// use the runtime's engine. Process-wide event threads: their count is fastdht-node's --socket-threads.
    /// </remarks>
    public Transport.SocketEngineKind SocketEngine { get; set; }

    /// <summary>A log segment file is closed and the next begun once it holds this many bytes.</summary>
    /// <remarks>Defaults to 64 MiB (4 KiB to 1 GiB).</remarks>
    public long LogSegmentSize { get; set; } = 64L << 20;

    /// <summary>A snapshot of the keys starts in the background once the log has grown by this many bytes since the last one began; 0 turns this off.</summary>
    /// <remarks>
    /// Defaults to 256 MiB: a restart then replays at most about that much log after loading the snapshot (a few
    /// seconds), and the folder holds about twice that much log (the newest two snapshots are kept, with the log from
    /// the older one on). Snapshots can also be asked for at any time (RESP SAVE/BGSAVE, <c>fastdht save</c>). Only used
    /// with <see cref="DataDir"/>.
    /// </remarks>
    public long SnapshotLogSize { get; set; } = 256L << 20;

    /// <summary>At start, cut the log at a corrupt record in its middle (losing every record after it) instead of refusing to start.</summary>
    /// <remarks>
    /// Defaults to false: a corrupt record stops the node with one line naming the file and offset. A torn last record
    /// (a crash in the middle of a write) is always cut, since it was never acknowledged.
    /// </remarks>
    public bool TruncateCorruptLog { get; set; }

    /// <summary>How many replicas copy each slot range's writes (cluster-wide: every node must be given the same number).</summary>
    /// <remarks>
    /// Defaults to 0: no replicas, a node that dies takes its slots down. With N, the range of member i is copied to the
    /// N members after it, a write is acknowledged only once every in-sync replica has it, and a replica that falls
    /// behind or goes away leaves the in-sync set first (docs/replication.md). Must be below the member count.
    /// </remarks>
    public int Replicas { get; set; }

    /// <summary>How long a replica may take to acknowledge a batch of writes before it is taken out of the in-sync set (and the writes waiting for it go on without it).</summary>
    /// <remarks>Defaults to 2 s: far above a healthy round trip, short enough that a stuck replica holds writes only briefly.</remarks>
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the cluster state is decided by a Raft group of the first members (docs/replication.md); null: whenever <see cref="Replicas"/> is above 0.</summary>
    /// <remarks>
    /// Defaults to null. Every node must be given the same setting. With it, 3 members vote (5 from 10 members on, every
    /// member below 3: the first in id order at first, then whom the committed state names, <see cref="VoterTimeout"/>);
    /// the others learn committed states from pushes. Security: the Raft
    /// traffic runs on the native port after the same cluster-secret proof (and TLS) as a peer link, so nobody without
    /// the secret can vote or append entries.
    /// </remarks>
    public bool? Consensus { get; set; }

    /// <summary>Whether this node runs the consensus part (<see cref="Consensus"/>, or replicas when it is not set).</summary>
    internal bool RunsConsensus => Consensus ?? Replicas > 0;

    /// <summary>The lower bound of the Raft election timeout; the upper bound is twice it.</summary>
    /// <remarks>
    /// Defaults to 250 ms: a new leader within about 0.5 s of the old one's loss, well above a loaded machine's
    /// scheduling hiccups (a lower value elects needlessly under load). The leader's heartbeat is half of it.
    /// </remarks>
    public TimeSpan ElectionTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The average rate, in bytes of keys and values per second, at which this node sends the keys of slots it moves to another node; 0 for no limit.</summary>
    /// <remarks>
    /// Defaults to 16 MiB/s, an upper bound: a throttled copy also works at most a fifth of the time (each batch's scan
    /// and round trip measured, then a rest four times as long), so on a busy or small machine it goes slower than the
    /// rate and the slots' and everyone else's requests keep their latency (docs/elasticity.md, "Throttling"). 0 lifts
    /// both (the fastest move, at the foreground's expense).
    /// </remarks>
    public long SlotMoveRate { get; set; } = 16L << 20;

    /// <summary>The share of the time, in percent, that a throttled copy of moving slots works (scans a batch and waits for its answer); it rests the remainder.</summary>
    /// <remarks>
    /// Defaults to 20: the copy rests four times as long as each batch's work took, so requests keep most of the CPU
    /// while slots move, and a busier machine slows the copy further (docs/elasticity.md, "Throttling"). 100: no rests
    /// but <see cref="SlotMoveRate"/>'s. Applies only while <see cref="SlotMoveRate"/> is above 0.
    /// </remarks>
    public int SlotMoveDutyPercent { get; set; } = 20;

    /// <summary>With replicas and a Raft group: how long the Raft leader waits without hearing from a primary before it promotes an in-sync replica of its ranges.</summary>
    /// <remarks>
    /// Defaults to 600 ms. Every node renews its serving lease with the leader every sixth of it, and a lease lasts five
    /// sixths of it (500 ms), so a primary cut off from the leader stops serving before a successor is promoted
    /// (docs/replication.md, "No split brain"). It must exceed the election timeout: a new leader waits this long
    /// after its election before promoting anything. Lower is faster failover and more false alarms under load.
    /// </remarks>
    public TimeSpan FailoverTimeout { get; set; } = TimeSpan.FromMilliseconds(600);

    /// <summary>With a Raft group: how long the Raft leader has no peer link to a voter before it replaces it by the first live learner (docs/replication.md, "Voting group changes").</summary>
    /// <remarks>
    /// Defaults to 30 s: far above a peer link's reconnect after a blip or a quick restart, short enough that a voter
    /// gone for good leaves the group one failure from losing its majority for only half a minute. A replaced voter that
    /// returns is a learner. <see cref="TimeSpan.Zero"/> never replaces one (then only forget or remove-node does).
    /// </remarks>
    public TimeSpan VoterTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the options against each other, with a one-line message naming the problem.</summary>
    /// <exception cref="ClusterConfigurationException">The options cannot work.</exception>
    public void Validate()
    {
        if (Members is null)
            throw new ClusterConfigurationException("no member list was given");
        if (IsJoining && AdvertisedAddress is null && (ListenEndPoint is null || ListenEndPoint.Address.Equals(IPAddress.Any) || ListenEndPoint.Address.Equals(IPAddress.IPv6Any)))
            throw new ClusterConfigurationException($"node {NodeId} is not in the member list ({Members}), so it joins through it, and needs its own address: give AdvertisedAddress (--advertised-address host:port) or a specific ListenEndPoint (--listen)");
        if (IsJoining && AdvertisedAddress is not null && !ClusterMember.TrySplitHostPort(AdvertisedAddress, out _, out _))
            throw new ClusterConfigurationException($"the advertised address '{AdvertisedAddress}' is not host:port");
        if (JoinOnMeet && !IsJoining)
            throw new ClusterConfigurationException($"node {NodeId} is in the member list ({Members}): JoinOnMeet (--join-on-meet) is for a node that joins, whose id is not in the list");
        if (IsJoining && ClusterSecret is null)
            throw new ClusterConfigurationException($"node {NodeId} joins a cluster ({Members}), which needs the cluster secret every member shares (docs/security.md)");
        if (string.IsNullOrWhiteSpace(ClusterName))
            throw new ClusterConfigurationException("the cluster name is empty");
        if (Members.Count > 1 && ClusterSecret is null)
            throw new ClusterConfigurationException($"a cluster of {Members.Count} members needs a cluster secret, shared by every node, to authenticate its peer links (docs/security.md)");
        if (string.IsNullOrWhiteSpace(LockStrategy))
            throw new ClusterConfigurationException("the lock strategy name is empty");
        if (TxnMaxAttempts < 1)
            throw new ClusterConfigurationException($"TxnMaxAttempts must be at least 1 (it is {TxnMaxAttempts})");
        if (TxnTimeout <= TimeSpan.Zero || TxnLockLease <= TxnTimeout)
            throw new ClusterConfigurationException($"the transaction lock lease ({TxnLockLease}) must exceed the transaction timeout ({TxnTimeout}), which must be positive");
        if (DeadlockDetectionInterval <= TimeSpan.Zero)
            throw new ClusterConfigurationException($"the deadlock detection interval must be positive (it is {DeadlockDetectionInterval})");
        if (HeartbeatInterval <= TimeSpan.Zero || PeerTimeout <= HeartbeatInterval)
            throw new ClusterConfigurationException($"the peer timeout ({PeerTimeout}) must exceed the heartbeat interval ({HeartbeatInterval})");
        if (ReconnectBaseDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectBaseDelay)
            throw new ClusterConfigurationException("the reconnect delays must be positive, the maximum at least the base");
        if (Plugins is null)
            throw new ClusterConfigurationException("no plugin registry was given");
        foreach (var name in Listeners.Keys)
        {
            if (string.Equals(name, ProtocolNames.Native, StringComparison.OrdinalIgnoreCase))
                throw new ClusterConfigurationException("the native protocol listens on the member-list address (ListenEndPoint), not in Listeners");
            if (!Plugins.TryGetProtocol(name, out _))
                throw new ClusterConfigurationException($"no wire protocol named '{name}' is registered (known: {string.Join(", ", Plugins.ProtocolNamesRegistered)})");
        }
        if (MaxClients < 0)
            throw new ClusterConfigurationException($"MaxClients must be 0 (derived from the open-files limit) or a positive count (it is {MaxClients})");
        if (ClientHardOutputLimit < 0 || ClientSoftOutputLimit < 0 || ClientSoftOutputTime < TimeSpan.Zero)
            throw new ClusterConfigurationException($"the client output limits must be 0 (off) or positive (they are {ClientHardOutputLimit}, {ClientSoftOutputLimit} for {ClientSoftOutputTime})");
        if (MaxMemoryClients < 0)
            throw new ClusterConfigurationException($"MaxMemoryClients must be 0 (derived from the memory available) or a size in bytes (it is {MaxMemoryClients})");
        if (ClientQueryTimeout < TimeSpan.Zero)
            throw new ClusterConfigurationException($"ClientQueryTimeout must be 0 (off) or positive (it is {ClientQueryTimeout})");
        if (MaxMemory < 0)
            throw new ClusterConfigurationException($"the maximum memory must be 0 (no limit) or a size in bytes (it is {MaxMemory})");
        if (NotifyKeyspaceEvents is not null && !FastDht.Engine.Keyspace.NotifyClass.TryParse(System.Text.Encoding.ASCII.GetBytes(NotifyKeyspaceEvents), out _))
            throw new ClusterConfigurationException($"NotifyKeyspaceEvents '{NotifyKeyspaceEvents}' has a letter that names no event class: use 'Ag$lshzxeKEtmdn' (Redis's notify-keyspace-events)");
        if (ScriptMemoryLimit < 1L << 20)
            throw new ClusterConfigurationException($"ScriptMemoryLimit must be at least 1 MiB (it is {ScriptMemoryLimit})");
        if (DataDir is not null && string.IsNullOrWhiteSpace(DataDir))
            throw new ClusterConfigurationException("the data directory is empty: give a folder, or leave it unset to keep keys in memory only");
        if (LogSegmentSize < 4096 || LogSegmentSize > WriteAheadLogOptions.MaxSegmentSize)
            throw new ClusterConfigurationException($"LogSegmentSize must be 4 KiB to 1 GiB (it is {LogSegmentSize})");
        if (GroupCommitDelay < TimeSpan.Zero || GroupCommitDelay > TimeSpan.FromMilliseconds(100))
            throw new ClusterConfigurationException($"GroupCommitDelay must be 0 to 100ms (it is {GroupCommitDelay})");
        if (SnapshotLogSize < 0)
            throw new ClusterConfigurationException($"SnapshotLogSize must be 0 (off) or a size (it is {SnapshotLogSize})");
        if (!Enum.IsDefined(Fsync))
            throw new ClusterConfigurationException($"unknown fsync policy {Fsync} (known: always, everysec, no)");
        if (Replicas < 0 || (Replicas > 0 && !IsJoining && Replicas >= Members.Count))
            throw new ClusterConfigurationException($"Replicas must be 0 or below the member count ({Members.Count}); it is {Replicas}");
        if (SlotMoveRate < 0)
            throw new ClusterConfigurationException($"the slot move rate must be 0 (no limit) or positive (it is {SlotMoveRate})");
        if (SlotMoveDutyPercent is < 1 or > 100)
            throw new ClusterConfigurationException($"the slot move duty must be 1 to 100 percent (it is {SlotMoveDutyPercent})");
        if (ReplicaTimeout <= TimeSpan.Zero)
            throw new ClusterConfigurationException($"the replica timeout must be positive (it is {ReplicaTimeout})");
        if (ElectionTimeout < TimeSpan.FromMilliseconds(10))
            throw new ClusterConfigurationException($"the election timeout must be at least 10 ms (it is {ElectionTimeout})");
        if (FailoverTimeout <= ElectionTimeout)
            throw new ClusterConfigurationException($"the failover timeout ({FailoverTimeout}) must exceed the election timeout ({ElectionTimeout}): a leader's lease is what bounds the old primary's");
        if (ConnectTimeout <= TimeSpan.Zero || ForwardTimeout <= TimeSpan.Zero || DrainTimeout < TimeSpan.Zero)
            throw new ClusterConfigurationException("timeouts must be positive");
        if (HandshakeTimeout <= TimeSpan.Zero)
            throw new ClusterConfigurationException($"the handshake timeout must be positive (it is {HandshakeTimeout})");
        if (ClientIdleTimeout < TimeSpan.Zero)
            throw new ClusterConfigurationException($"the client idle timeout must be zero (off) or positive (it is {ClientIdleTimeout})");
    }

    /// <summary>This node's own entry: in the member list, or made from <see cref="AdvertisedAddress"/> (or the listen endpoint) for a joining node.</summary>
    public ClusterMember Self
    {
        get
        {
            if (Members.TryGet(NodeId, out var member))
                return member;
            if (AdvertisedAddress is not null)
                return ClusterMember.Parse(AdvertisedAddress, NodeId);
            var endPoint = ListenEndPoint ?? throw new ClusterConfigurationException($"node {NodeId} is not in the member list and has no address of its own");
            return new ClusterMember(NodeId, endPoint.Address.ToString(), endPoint.Port);
        }
    }

    /// <summary>The endpoint to bind: <see cref="ListenEndPoint"/>, else this member's address.</summary>
    public IPEndPoint ResolveListenEndPoint()
    {
        if (ListenEndPoint is not null)
            return ListenEndPoint;
        var self = Self;
        return IPAddress.TryParse(self.Host, out var ip) ? new IPEndPoint(ip, self.Port) : new IPEndPoint(IPAddress.Any, self.Port);
    }
}
