using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Security;

/// <summary>Auth frames for raw native clients.</summary>
internal static class AuthRequests
{
    public static Task<RawResponse> AuthAsync(this NativeTestClient c, string user, string password) =>
        c.RequestAsync((w, id) => AuthFrames.WritePassword(w, id, user, password));
}
