using System.Runtime.CompilerServices;

namespace FastDht.Storage.Internal;

/// <summary>Which tags may belong to the slots a scan wants, in one shard; and whether a match must be confirmed by computing the slot.</summary>
/// <remarks>
/// The slot part of a tag is compared as a cyclic range [first, first + span] modulo the number of
/// tag values, which covers a range of slots whose tag bits wrap around. When tags are exact the
/// answer is final for entries present throughout a scan; <see cref="Confirm"/> is set when several
/// slots share a tag, and then the slot function decides.
/// </remarks>
internal readonly struct TagFilter
{
    private readonly int _first;
    private readonly int _span;
    private readonly int _shift;
    private readonly int _mask;

    public TagFilter(int first, int span, int shift, int mask, bool confirm)
    {
        _first = first;
        _span = span;
        _shift = shift;
        _mask = mask;
        Confirm = confirm;
    }

    /// <summary>Whether a tag match may still be another slot's key, so the slot must be computed.</summary>
    public bool Confirm { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(byte tag) => (((tag >> _shift) - _first) & _mask) <= _span;
}
