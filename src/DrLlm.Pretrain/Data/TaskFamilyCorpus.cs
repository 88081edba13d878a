using DrLlm.Tasks;
using DrLlm.Tasks.Prompts;
using DrLlm.Tasks.Synthetic;

namespace DrLlm.Pretrain.Data;

/// <summary>
/// The demo model's training data: the train splits of in-domain synthetic task families, interleaved (example i comes
/// from family i mod F), each item as <see cref="TaskPrompts.TrainingText"/> gives it ("Q: 16+5=? A:" / " 21\n").
/// Out-of-domain families are refused: they exist to measure what the model never saw.
/// </summary>
public sealed class TaskFamilyCorpus : ITrainingCorpus
{
    private readonly SyntheticFamily[] _families;

    public TaskFamilyCorpus(IEnumerable<string> familyNames)
    {
        _families = familyNames.Select(name =>
        {
            var f = TaskRegistry.FindSynthetic(name) ?? throw new ArgumentException(
                $"corpus: '{name}' is not a synthetic task family; known: {string.Join(", ", TaskRegistry.Synthetic.Select(s => s.Name))}");
            if (!f.InDomain) throw new ArgumentException($"corpus: '{name}' is an out-of-domain family and never enters a training mix");
            return f;
        }).ToArray();
        if (_families.Length == 0) throw new ArgumentException("corpus: name at least one in-domain family");
        Name = "tasks:" + string.Join("+", _families.Select(f => f.Name));
    }

    /// <summary>Every in-domain synthetic family.</summary>
    public static TaskFamilyCorpus InDomain() => new(TaskRegistry.Synthetic.Where(f => f.InDomain).Select(f => f.Name));

    public string Name { get; }

    public TrainingExample Example(int seed, long index)
    {
        var family = _families[index % _families.Length];
        long within = index / _families.Length;
        if (within > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(index), $"example {index} is past the corpus's {int.MaxValue} per family");
        var (prompt, completion) = TaskPrompts.TrainingText(family.Item("train", (int)within, seed));
        return new TrainingExample(prompt, completion);
    }
}
