namespace DrLlm.Pretrain.Data;

/// <summary>One training example: the model reads the prompt and learns to write the completion.</summary>
public readonly record struct TrainingExample(string Prompt, string Completion);

/// <summary>
/// A deterministic stream of examples: <see cref="Example"/> is a pure function of (seed, index), so the data order is
/// fixed by the seed and a resumed run continues from a stored index with no other state. Task families (the synthetic
/// tasks' <c>TrainingText(item)</c>) plug in here; <see cref="TaskFamilyCorpus"/> is the one the CLI trains on.
/// </summary>
public interface ITrainingCorpus
{
    /// <summary>Short name, stored in checkpoints and printed in progress lines.</summary>
    string Name { get; }

    TrainingExample Example(int seed, long index);
}
