namespace FastDht.LoadGen.Progress;

/// <summary>How progress is shown while a run goes (--progress).</summary>
public enum ProgressMode
{
    /// <summary>Live on an interactive terminal, plain lines otherwise.</summary>
    Auto,

    /// <summary>A live panel redrawn in place.</summary>
    Live,

    /// <summary>One line per interval.</summary>
    Plain,

    /// <summary>Nothing until the report.</summary>
    None,
}
