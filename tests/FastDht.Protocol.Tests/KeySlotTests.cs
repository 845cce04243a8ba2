using System.Text;
using CsCheck;

namespace FastDht.Protocol.Tests;

public class KeySlotTests
{
    private static int Slot(string key) => KeySlot.Of(Encoding.UTF8.GetBytes(key));

    [Fact]
    public void Crc16_matches_the_xmodem_check_value()
    {
        // The standard CRC-16/XMODEM check value for "123456789".
        Assert.Equal(0x31C3, KeySlot.Crc16("123456789"u8));
        Assert.Equal(0, KeySlot.Crc16(ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    // Redis Cluster values (CLUSTER KEYSLOT).
    [InlineData("foo", 12182)]
    [InlineData("bar", 5061)]
    [InlineData("hello", 866)]
    [InlineData("123456789", 12739)]
    [InlineData("somekey", 11058)] // Redis docs, CLUSTER KEYSLOT
    [InlineData("foo{hash_tag}", 2515)] // Redis docs, CLUSTER KEYSLOT
    [InlineData("{user1000}.following", 3443)]
    public void Slot_matches_redis_cluster(string key, int slot) => Assert.Equal(slot, Slot(key));

    [Fact]
    public void Hash_tags_colocate_keys()
    {
        Assert.Equal(Slot("{user1000}.following"), Slot("{user1000}.followers"));
        Assert.Equal(Slot("user1000"), Slot("{user1000}.following"));
        Assert.Equal(Slot("bar"), Slot("foo{bar}{zap}"));
    }

    [Theory]
    [InlineData("foo{}{bar}", "foo{}{bar}")] // empty tag: the whole key
    [InlineData("foo{{bar}}zap", "{bar")] // first '{', then first '}' after it
    [InlineData("foo{bar}{zap}", "bar")]
    [InlineData("{bar", "{bar")] // no closing brace
    [InlineData("}bar{", "}bar{")]
    [InlineData("a{b}", "b")]
    public void Hash_part_follows_the_redis_rules(string key, string hashed) =>
        Assert.Equal(hashed, Encoding.UTF8.GetString(KeySlot.HashPart(Encoding.UTF8.GetBytes(key))));

    [Fact]
    public void Crc16_four_bytes_at_a_time_equals_the_bit_by_bit_definition()
    {
        // Every length 0-40 (each tail of the 4-byte steps) and random bytes: the sliced tables against the polynomial.
        Gen.Byte.Array[0, 40].Sample(data => KeySlot.Crc16(data) == BitwiseCrc16(data), iter: 20_000);
    }

    private static ushort BitwiseCrc16(byte[] data)
    {
        int crc = 0;
        foreach (byte b in data)
        {
            crc ^= b << 8;
            for (int bit = 0; bit < 8; bit++)
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        }
        return (ushort)crc;
    }

    [Fact]
    public void Slots_are_in_range_for_random_keys()
    {
        Gen.Byte.Array[0, 100].Sample(key =>
        {
            int slot = KeySlot.Of(key);
            return slot >= 0 && slot < KeySlot.SlotCount;
        });
    }

    [Fact]
    public void Default_table_covers_every_slot_once()
    {
        for (int n = 1; n <= 7; n++)
        {
            ushort[] ids = new ushort[n];
            for (int i = 0; i < n; i++)
            {
                ids[i] = (ushort)(10 + (i * 3));
            }

            var table = new SlotRange[n];
            SlotRange.DefaultTable(ids, table);
            Assert.Equal(0, table[0].FirstSlot);
            Assert.Equal(KeySlot.SlotCount - 1, table[n - 1].LastSlot);
            for (int i = 1; i < n; i++)
            {
                Assert.Equal(table[i - 1].LastSlot + 1, table[i].FirstSlot);
                Assert.Equal(ids[i], table[i].NodeId);
            }
        }

        Assert.Equal(new SlotRange(0, 5460, 1), SlotRange.ForMember(0, 3, 1));
        Assert.Equal(new SlotRange(5461, 10921, 2), SlotRange.ForMember(1, 3, 2));
        Assert.Equal(new SlotRange(10922, 16383, 3), SlotRange.ForMember(2, 3, 3));
    }
}
