namespace FastDht.Node.Tests;

/// <summary>Linux signal numbers the tests send.</summary>
internal static class Signals
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;
    public const int Stop = 19;
    public const int Continue = 18;
}
