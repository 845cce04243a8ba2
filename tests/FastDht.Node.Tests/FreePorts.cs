using System.Net;
using System.Net.Sockets;

namespace FastDht.Node.Tests;

/// <summary>
/// Ports for process tests: bound at port 0 so the OS picks free ones, then released for the child to bind. Another
/// process could take one in between; the tests that use these retry once when that happens.
/// </summary>
internal static class FreePorts
{
    public static int[] Reserve(int count)
    {
        var sockets = new Socket[count];
        var ports = new int[count];
        try
        {
            // All held at once, so the OS cannot hand out the same port twice.
            for (var i = 0; i < count; i++)
            {
                sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
                ports[i] = ((IPEndPoint)sockets[i].LocalEndPoint!).Port;
            }
        }
        finally
        {
            foreach (var s in sockets)
                s?.Dispose();
        }
        return ports;
    }
}
