namespace FastDht.Protocol.Tests;

public class TxnIdTests
{
    [Fact]
    public void Orders_by_timestamp_then_node_then_sequence()
    {
        var a = new TxnId(100, 5, 9);
        Assert.True(a.IsOlderThan(new TxnId(101, 0, 0)));
        Assert.True(a.IsOlderThan(new TxnId(100, 6, 0)));
        Assert.True(a.IsOlderThan(new TxnId(100, 5, 10)));
        Assert.False(a.IsOlderThan(a));
        Assert.False(new TxnId(100, 5, 10).IsOlderThan(a));
        Assert.Equal(a, new TxnId(100, 5, 9));
        Assert.True(a < new TxnId(100, 5, 10));
    }

    [Fact]
    public void Wire_form_is_little_endian_with_reserved_zero()
    {
        var bytes = new byte[16];
        new TxnId(0x0102030405060708, 0x0A0B, 0x0C0D0E0F).WriteTo(bytes);
        Assert.Equal(Convert.FromHexString("0807060504030201" + "0B0A" + "0000" + "0F0E0D0C"), bytes);
    }
}
