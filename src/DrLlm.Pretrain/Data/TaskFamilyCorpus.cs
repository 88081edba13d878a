using DrLlm.Tasks;
using DrLlm.Tasks.Prompts;
using DrLlm.Tasks.Synthetic;

namespace DrLlm.Pretrain.Data;

/// <summary>
/// The demo model's training data: the train splits of in-domain synthetic task families, interleaved (example i comes
/// from entry i mod F), each item as <see cref="TaskPrompts.TrainingText"/> gives it ("Q: 16+5=? A:" / " 21\n").
/// An entry is a family name, optionally with a level range: <c>mcq</c> (all its levels), <c>mcq:3-7</c>, <c>mcq:1</c>;
/// a family may appear more than once (<c>arith,mcq,mcq:1-2</c> gives mcq's first two levels extra weight). A range
/// draws its levels evenly from its own hash of (seed, split, index) (<see cref="SyntheticFamily.Item(string,int,int,int,int)"/>).
/// Out-of-domain families are refused: they exist to measure what the model never saw.
/// </summary>
public sealed class TaskFamilyCorpus : ITrainingCorpus
{
    private readonly (SyntheticFamily Family, int MinLevel, int MaxLevel)[] _entries;

    public TaskFamilyCorpus(IEnumerable<string> entries)
    {
        _entries = entries.Select(Parse).ToArray();
        if (_entries.Length == 0) throw new ArgumentException("corpus: name at least one in-domain family");
        Name = "tasks:" + string.Join("+", _entries.Select(e =>
            e.MinLevel == e.Family.MinLevel && e.MaxLevel == e.Family.MaxLevel ? e.Family.Name
            : e.MinLevel == e.MaxLevel ? $"{e.Family.Name}:{e.MinLevel}" : $"{e.Family.Name}:{e.MinLevel}-{e.MaxLevel}"));
    }

    private static (SyntheticFamily, int, int) Parse(string entry)
    {
        var parts = entry.Split(':', 2);
        var name = parts[0];
        var f = TaskRegistry.FindSynthetic(name) ?? throw new ArgumentException(
            $"corpus: '{name}' is not a synthetic task family; known: {string.Join(", ", TaskRegistry.Synthetic.Select(s => s.Name))}");
        if (!f.InDomain) throw new ArgumentException($"corpus: '{name}' is an out-of-domain family and never enters a training mix");
        if (parts.Length == 1) return (f, f.MinLevel, f.MaxLevel);
        (int, int)? levels;
        try { levels = f.ParseLevels(parts[1]); }
        catch (ArgumentException e) { throw new ArgumentException($"corpus: '{entry}': {e.Message}", e); }
        var (lo, hi) = levels ?? throw new ArgumentException($"corpus: '{entry}': expected FAMILY, FAMILY:LEVEL or FAMILY:MIN-MAX (e.g. mcq:1-2)");
        return (f, lo, hi);
    }

    /// <summary>Every in-domain synthetic family.</summary>
    public static TaskFamilyCorpus InDomain() => new(TaskRegistry.Synthetic.Where(f => f.InDomain).Select(f => f.Name));

    public string Name { get; }

    public TrainingExample Example(int seed, long index)
    {
        var (family, lo, hi) = _entries[index % _entries.Length];
        long within = index / _entries.Length;
        if (within > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(index), $"example {index} is past the corpus's {int.MaxValue} per family");
        var (prompt, completion) = TaskPrompts.TrainingText(family.Item("train", (int)within, seed, lo, hi));
        return new TrainingExample(prompt, completion);
    }
}
