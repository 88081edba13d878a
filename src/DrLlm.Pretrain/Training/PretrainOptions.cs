using DrLlm.Engine.Model;
using DrLlm.Pretrain.Data;

namespace DrLlm.Pretrain.Training;

/// <summary>
/// Every setting of a pretraining run, with defaults for two CPU cores: a 8-block LLaMA of d 256 (8 heads of 32, 4 KV
/// heads, SwiGLU width 688, tied embeddings, byte vocabulary of 264): 5.9M parameters, ~36 MFLOP per trained token,
/// batches of 8 × 256 tokens. Bound from a JSON file (<c>--config</c>, property names as here, case-insensitive).
/// </summary>
public sealed record PretrainOptions
{
    // Model shape
    public int Hidden { get; init; } = 256;
    public int Layers { get; init; } = 8;
    public int Heads { get; init; } = 8;
    public int KvHeads { get; init; } = 4;
    public int Ffn { get; init; } = 688;
    public int SeqLen { get; init; } = 256;
    public bool TieEmbeddings { get; init; } = true;
    public float RopeTheta { get; init; } = 10000f;
    public float RmsNormEps { get; init; } = 1e-5f;

    // Optimisation (AdamW as in llm.c / nanoGPT; peak lr suits a few-million-parameter model)
    public int Batch { get; init; } = 8;
    /// <summary>Micro-batches per optimiser step; the effective batch is Batch × GradAccumulation sequences.</summary>
    public int GradAccumulation { get; init; } = 1;
    public float LearningRate { get; init; } = 2e-3f;
    /// <summary>Cosine decay ends at this fraction of the peak.</summary>
    public float MinLrRatio { get; init; } = 0.1f;
    public int WarmupSteps { get; init; } = 100;
    public int Steps { get; init; } = 3000;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;
    public float AdamEps { get; init; } = 1e-8f;
    /// <summary>Applied to matrices only (projections and embeddings), not to norm gains.</summary>
    public float WeightDecay { get; init; } = 0.1f;
    /// <summary>Global gradient norm above which gradients are scaled down; 0 disables clipping.</summary>
    public float GradClip { get; init; } = 1.0f;
    /// <summary>
    /// Layer drop: the probability that a training step skips the last block (the identity, forward and backward); block
    /// l of L is skipped with LayerDrop · l/(L−1), so never the first (<see cref="Training.LayerDrop"/>). 0 (off) by
    /// default; evaluation never drops.
    /// </summary>
    public float LayerDrop { get; init; } = 0f;

    // Data
    public int Seed { get; init; } = 1337;
    /// <summary>Loss on completion tokens only (prompt tokens are context); false trains on every token.</summary>
    public bool CompletionOnlyLoss { get; init; } = true;

    // Bookkeeping
    public int LogInterval { get; init; } = 10;
    public int EvalInterval { get; init; } = 100;
    /// <summary>Held-out batches per evaluation, drawn from the corpus under seed + <see cref="EvalSeedOffset"/>.</summary>
    public int EvalBatches { get; init; } = 4;
    public const int EvalSeedOffset = 1_000_003;
    public int CheckpointInterval { get; init; } = 200;
    /// <summary>Threads for OpenBLAS (0: all cores).</summary>
    public int Threads { get; init; } = 0;

    public ModelConfig ModelConfig() => new()
    {
        Architecture = Architecture.Llama,
        HiddenSize = Hidden,
        IntermediateSize = Ffn,
        NumLayers = Layers,
        NumHeads = Heads,
        NumKvHeads = KvHeads,
        HeadDim = Heads > 0 ? Hidden / Heads : 0,
        VocabSize = ByteTokenizer.VocabSize,
        RmsNormEps = RmsNormEps,
        RopeTheta = RopeTheta,
        TieWordEmbeddings = TieEmbeddings,
        MaxPositionEmbeddings = SeqLen,
        BosTokenId = ByteTokenizer.Bos,
        EosTokenIds = [ByteTokenizer.Eos],
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting and what it must be.</summary>
    public void Validate()
    {
        void Check(bool ok, string message) { if (!ok) throw new ArgumentException($"pretrain options: {message}"); }
        Check(Hidden > 0 && Heads > 0 && Hidden % Heads == 0, $"Hidden ({Hidden}) must be a positive multiple of Heads ({Heads})");
        Check(Hidden / Heads % 2 == 0, $"head width Hidden/Heads ({Hidden / Heads}) must be even for rope");
        Check(KvHeads > 0 && Heads % KvHeads == 0, $"Heads ({Heads}) must be a multiple of KvHeads ({KvHeads})");
        Check(Layers > 0 && Ffn > 0 && SeqLen > 1 && Batch > 0 && GradAccumulation > 0, "Layers, Ffn, Batch, GradAccumulation must be ≥ 1 and SeqLen ≥ 2");
        Check(Steps > 0 && WarmupSteps >= 0, $"Steps ({Steps}) must be ≥ 1 and WarmupSteps ({WarmupSteps}) ≥ 0");
        Check(LearningRate > 0 && MinLrRatio is >= 0 and <= 1, "LearningRate must be > 0 and MinLrRatio in [0, 1]");
        Check(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1 && AdamEps > 0 && WeightDecay >= 0 && GradClip >= 0,
            "Beta1, Beta2 in [0, 1), AdamEps > 0, WeightDecay ≥ 0, GradClip ≥ 0");
        Check(LayerDrop is >= 0 and < 1, $"LayerDrop ({LayerDrop}) must be in [0, 1): the drop rate of the last block");
        Check(LogInterval > 0 && EvalInterval >= 0 && EvalBatches >= 0 && CheckpointInterval >= 0 && Threads >= 0,
            "LogInterval ≥ 1; EvalInterval, EvalBatches, CheckpointInterval, Threads ≥ 0");
    }
}
