using System.Globalization;
using FastDht.Storage.Durability.Internal;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// The imports a node with a data directory has begun and not ended, in a small file beside its log (<c>imports</c>),
/// so that a restarted target can drop the partial copy its log brings back (docs/elasticity.md, "A node that dies
/// mid-move"). Without a Raft group the state a restarted node starts from is its start-up slot table: it never learns
/// that it was importing, and the keys of an import abandoned while it was down would stay in its memory, its log and
/// DBSIZE for good.
/// </summary>
/// <remarks>
/// One line per import: first slot, last slot, source, the epoch of the state that announced it. Written (to a
/// temporary file, fsynced, renamed, the folder fsynced) when an import begins (its reset, before it is answered) and
/// when one ends; both happen once per move, never per key. Not thread-safe: its owner calls it under its gate.
/// </remarks>
internal sealed class ImportJournal
{
    private const string FileName = "imports";

    private readonly string? _directory;
    private readonly List<ImportEntry> _entries = [];

    /// <summary>A journal in <paramref name="directory"/> (null: none, every call does nothing), with what it held at start.</summary>
    public ImportJournal(string? directory)
    {
        _directory = directory;
        if (directory is null || !File.Exists(Path.Combine(directory, FileName)))
            return;
        foreach (var line in File.ReadAllLines(Path.Combine(directory, FileName)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 4
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                && ushort.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var source)
                && ulong.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                _entries.Add(new ImportEntry(first, last, source, epoch));
            }
        }
    }

    /// <summary>The imports begun and not ended, oldest first.</summary>
    public IReadOnlyList<ImportEntry> Entries => _entries;

    /// <summary>Records an import of [<paramref name="first"/>, <paramref name="last"/>] from <paramref name="source"/> announced at <paramref name="epoch"/>, replacing any it overlaps.</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void Begin(int first, int last, ushort source, ulong epoch)
    {
        if (_directory is null)
            return;
        _entries.RemoveAll(e => e.First <= last && first <= e.Last);
        _entries.Add(new ImportEntry(first, last, source, epoch));
        Write();
    }

    /// <summary>Forgets the imports that overlap [<paramref name="first"/>, <paramref name="last"/>] (they ended).</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void End(int first, int last)
    {
        if (_directory is null || _entries.RemoveAll(e => e.First <= last && first <= e.Last) == 0)
            return;
        Write();
    }

    private void Write()
    {
        var path = Path.Combine(_directory!, FileName);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(file))
        {
            foreach (var e in _entries)
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{e.First} {e.Last} {e.Source} {e.Epoch}\n"));
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(_directory!);
    }
}
