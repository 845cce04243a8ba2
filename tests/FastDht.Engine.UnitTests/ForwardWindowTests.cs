using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The forward window of a link's request table: a full window stops forwarding until the owner has answered half
/// of it, and nothing that ends requests (answers, timeouts, the link's failure) leaves a waiting session stranded.
/// </summary>
public sealed class ForwardWindowTests
{
    private const int Window = RequestMultiplexer.ForwardWindow;

    [Fact]
    public void A_full_window_has_no_room_until_half_of_it_is_answered()
    {
        var requests = new RequestMultiplexer();
        var ids = Fill(requests, Window - 1);
        Assert.True(requests.HasRoomForForward);
        Assert.True(requests.WaitForRoomAsync().IsCompleted);

        ids.Add(Register(requests));
        Assert.False(requests.HasRoomForForward);
        var room = requests.WaitForRoomAsync();
        Assert.False(room.IsCompleted);

        // Answered down to one above half the window: still waiting, so waiters wake once per half window.
        var answered = 0;
        while (Window - answered > Window / 2 + 1)
            Assert.True(requests.Complete(Answer(ids[answered++]), ReadOnlySequence<byte>.Empty));
        Assert.True(requests.HasRoomForForward); // a session that did not wait may go on at once
        Assert.False(room.IsCompleted);

        Assert.True(requests.Complete(Answer(ids[answered]), ReadOnlySequence<byte>.Empty));
        Assert.True(room.IsCompletedSuccessfully);
        Assert.Equal(Window / 2, requests.Count);
    }

    [Fact]
    public void Timed_out_requests_make_room()
    {
        var requests = new RequestMultiplexer();
        Fill(requests, Window);
        var room = requests.WaitForRoomAsync();
        Assert.False(room.IsCompleted);

        Assert.Equal(Window, requests.FailExpired(Environment.TickCount64 + 120_000, "timed out"));
        Assert.True(room.IsCompletedSuccessfully);
        Assert.True(requests.HasRoomForForward);
    }

    [Fact]
    public void A_failed_link_releases_the_waiters_and_refuses_what_they_send_next()
    {
        var requests = new RequestMultiplexer();
        Fill(requests, Window);
        var room = requests.WaitForRoomAsync();

        requests.FailAll(StatusCode.NodeUnavailable, "link closed");
        Assert.True(room.IsCompletedSuccessfully);
        Assert.True(requests.WaitForRoomAsync().IsCompleted);
        Assert.False(requests.TryRegister(new Recorder(), TimeSpan.FromSeconds(60), out _, out var status, out _));
        Assert.Equal(StatusCode.NodeUnavailable, status);
    }

    [Fact]
    public void A_request_taken_back_unsent_makes_room()
    {
        var requests = new RequestMultiplexer();
        var ids = Fill(requests, Window);
        var room = requests.WaitForRoomAsync();
        for (var i = 0; i < Window / 2; i++)
            Assert.True(requests.TryRemove(ids[i], out _));
        Assert.True(room.IsCompletedSuccessfully);
    }

    private static List<uint> Fill(RequestMultiplexer requests, int count)
    {
        var ids = new List<uint>(count);
        for (var i = 0; i < count; i++)
            ids.Add(Register(requests));
        return ids;
    }

    private static uint Register(RequestMultiplexer requests)
    {
        Assert.True(requests.TryRegister(new Recorder(), TimeSpan.FromSeconds(60), out var id, out _, out _));
        return id;
    }

    private static FrameHeader Answer(uint id) => new(0, id, Opcode.Put, FrameFlags.Response, StatusCode.Ok);

    private sealed class Recorder : PendingRequest
    {
        public override void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body)
        {
        }

        public override void OnFailure(StatusCode status, string message)
        {
        }
    }
}
