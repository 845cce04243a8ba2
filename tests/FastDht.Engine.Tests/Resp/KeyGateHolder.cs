using System.Text;
using FastDht.Locking;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// Holds one key's write gate until disposed, on a thread of its own (the gate's lock belongs to the thread that took
/// it, and a test's awaits may resume elsewhere): a command that writes the key waits at the gate meanwhile.
/// </summary>
internal sealed class KeyGateHolder : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ManualResetEventSlim _held = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly Thread _thread;

    private KeyGateHolder(LockTable locks, byte[] key)
    {
        _thread = new Thread(() =>
        {
            using (locks.EnterWriteGate(key))
            {
                _held.Set();
                _release.Wait(Bound);
            }
        }) { IsBackground = true, Name = "key gate holder" };
        _thread.Start();
        if (!_held.Wait(Bound))
            throw new TimeoutException("the key's write gate was not taken");
    }

    /// <summary>Takes <paramref name="key"/>'s write gate and returns once it is held.</summary>
    public static KeyGateHolder Hold(LockTable locks, string key) => new(locks, Encoding.UTF8.GetBytes(key));

    /// <summary>Lets the gate go and waits until it is.</summary>
    public void Dispose()
    {
        _release.Set();
        _thread.Join(Bound);
        _held.Dispose();
        _release.Dispose();
    }
}
