using System.IO.Pipelines;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The input of a Raft connection as the library sees it: the connection's own reader, noting in
/// <see cref="RaftContacts"/> the time of every read that returned bytes, before the library acts on them.
/// </summary>
internal sealed class ContactReader(PipeReader inner, RaftContacts contacts, ushort peerId) : PipeReader
{
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var reading = inner.ReadAsync(cancellationToken);
        if (!reading.IsCompletedSuccessfully)
            return AwaitAsync(reading);
        var result = reading.Result;
        Note(result);
        return new ValueTask<ReadResult>(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
            return false;
        Note(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> reading)
    {
        var result = await reading.ConfigureAwait(false);
        Note(result);
        return result;
    }

    private void Note(in ReadResult result)
    {
        if (!result.Buffer.IsEmpty)
            contacts.Touch(peerId);
    }
}
