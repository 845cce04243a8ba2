namespace FastDht.Storage.Tests;

/// <summary>
/// <see cref="ValueDelta"/>: applied to the value it was planned from, a delta gives exactly the new value, for every
/// kind of edit; the edits the collection commands make are planned as a few bytes; a delta that does not fit is refused.
/// </summary>
public sealed class ValueDeltaTests
{
    private static byte[] Apply(byte[] old, byte[] next, DeltaPlan plan)
    {
        var delta = new byte[plan.EncodedSize];
        ValueDelta.Write(plan, next, delta);
        Assert.True(ValueDelta.IsWellFormed(delta));
        Assert.True(ValueDelta.TryGetNewLength(delta, out var length));
        var result = new byte[length];
        Assert.True(ValueDelta.TryApply(old, delta, result));
        return result;
    }

    /// <summary>A list's encoding (LEB128 count, then LEB128-length-prefixed elements), as the engine's codec writes it.</summary>
    private static byte[] EncodedList(int count, int elementSize, bool newAtHead = false)
    {
        var bytes = new List<byte>();
        void Leb(int v)
        {
            while (v >= 0x80)
            {
                bytes.Add((byte)(v | 0x80));
                v >>= 7;
            }
            bytes.Add((byte)v);
        }
        Leb(count);
        for (var i = 0; i < count; i++)
        {
            var element = newAtHead ? count - 1 - i : i; // the same elements, the newest first or last
            Leb(elementSize);
            for (var j = 0; j < elementSize; j++)
                bytes.Add((byte)(element * 31 + j));
        }
        return [.. bytes];
    }

    [Theory]
    [InlineData(10)]
    [InlineData(127)] // the count grows from one LEB128 byte to two
    [InlineData(16383)] // from two to three
    [InlineData(5000)]
    public void A_pushed_element_at_either_end_is_a_delta_of_a_few_bytes_that_gives_the_new_list(int count)
    {
        foreach (var head in new[] { false, true })
        {
            var old = EncodedList(count, 10, head);
            var next = EncodedList(count + 1, 10, head);
            Assert.True(ValueDelta.TryPlan(old, next, out var plan));
            Assert.True(plan.EncodedSize < 64, $"{plan.EncodedSize} bytes for one pushed element of a list of {count}");
            Assert.Equal(next, Apply(old, next, plan));
        }
    }

    [Fact]
    public void One_bit_set_in_a_large_bitmap_and_an_appended_suffix_are_deltas_of_a_few_bytes()
    {
        var old = new byte[1 << 20];
        var next = (byte[])old.Clone();
        next[12345] |= 0x10;
        Assert.True(ValueDelta.TryPlan(old, next, out var plan));
        Assert.True(plan.EncodedSize < 32);
        Assert.Equal(next, Apply(old, next, plan));

        var appended = new byte[old.Length + 10];
        old.CopyTo(appended, 0);
        appended.AsSpan(old.Length).Fill(7);
        Assert.True(ValueDelta.TryPlan(old, appended, out plan));
        Assert.True(plan.EncodedSize < 40);
        Assert.Equal(appended, Apply(old, appended, plan));
    }

    [Fact]
    public void A_member_that_moves_within_a_large_value_is_a_delta_of_its_own_size()
    {
        var random = new Random(3);
        var before = new byte[20000];
        random.NextBytes(before);
        var member = new byte[30];
        random.NextBytes(member);
        // The member leaves offset 1000 and comes back at 15000 with another score (its first 8 bytes), as ZADD moves it.
        var moved = (byte[])member.Clone();
        moved[0] ^= 0xFF;
        var old = before[..1000].Concat(member).Concat(before[1000..]).ToArray();
        var next = before[..15000].Concat(moved).Concat(before[15000..]).ToArray();
        Assert.True(ValueDelta.TryPlan(old, next, out var plan));
        Assert.True(plan.EncodedSize < 100, $"{plan.EncodedSize} bytes for a 30-byte member that moved");
        Assert.Equal(next, Apply(old, next, plan));
    }

    [Fact]
    public void Random_edits_round_trip_whatever_their_number_and_place()
    {
        var random = new Random(12345);
        var planned = 0;
        for (var round = 0; round < 2000; round++)
        {
            var old = new byte[random.Next(0, 3000)];
            random.NextBytes(old);
            if (round % 3 == 0)
                old.AsSpan().Fill((byte)random.Next(2)); // long runs of equal bytes: resynchronization finds false matches
            var next = new List<byte>(old);
            for (var e = random.Next(1, 12); e > 0; e--)
            {
                var at = random.Next(0, next.Count + 1);
                switch (random.Next(4))
                {
                    case 0:
                        next.InsertRange(at, Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(256)));
                        break;
                    case 1:
                        next.RemoveRange(at, Math.Min(random.Next(1, 40), next.Count - at));
                        break;
                    case 2:
                        if (at < next.Count)
                            next[at] ^= (byte)random.Next(1, 256);
                        break;
                    default:
                        next.AddRange(Enumerable.Range(0, random.Next(1, 20)).Select(_ => (byte)random.Next(256)));
                        break;
                }
            }
            var nextBytes = next.ToArray();
            if (!ValueDelta.TryPlan(old, nextBytes, out var plan))
                continue; // too large a change: the caller logs the whole value
            planned++;
            Assert.True(plan.EncodedSize <= nextBytes.Length / 2);
            Assert.Equal(nextBytes, Apply(old, nextBytes, plan));
        }
        Assert.True(planned > 200, $"only {planned} of 2000 edits were planned as deltas");
    }

    [Fact]
    public void A_whole_new_value_is_refused_and_a_delta_that_does_not_fit_its_value_is_not_applied()
    {
        var random = new Random(7);
        var old = new byte[1000];
        var other = new byte[1000];
        random.NextBytes(old);
        random.NextBytes(other);
        Assert.False(ValueDelta.TryPlan(old, other, out _));

        var next = (byte[])old.Clone();
        next[999] ^= 1;
        Assert.True(ValueDelta.TryPlan(old, next, out var plan));
        var delta = new byte[plan.EncodedSize];
        ValueDelta.Write(plan, next, delta);
        Assert.False(ValueDelta.TryApply(old.AsSpan(0, 500), delta, new byte[1000])); // a shorter value: the splice is past its end
        Assert.False(ValueDelta.IsWellFormed(delta.AsSpan(0, delta.Length - 1))); // cut short
    }
}
