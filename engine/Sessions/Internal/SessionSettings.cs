namespace FastDht.Engine.Sessions.Internal;

/// <summary>The timings client sessions and the handshake run by (from the node's options; each documented there).</summary>
/// <param name="ForwardTimeout">How long a forward waits for the owner.</param>
/// <param name="HandshakeTimeout">How long a new connection has to deliver a whole Hello.</param>
/// <param name="IdleTimeout">How long a client session may go without a request while owed nothing; zero or less: never closed for idling.</param>
/// <param name="AnswerGrace">How long a session whose client stopped sending still waits for the answers it owes.</param>
internal sealed record SessionSettings(TimeSpan ForwardTimeout, TimeSpan HandshakeTimeout, TimeSpan IdleTimeout, TimeSpan AnswerGrace);
