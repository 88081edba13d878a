namespace DrLlm.Engine.Model;

/// <summary>The decoder families the engine runs. All are pre-norm LLaMA-style decoders.</summary>
public enum Architecture
{
    /// <summary>LLaMA 1/2/3 (optionally with Llama-3 rope scaling).</summary>
    Llama,
    /// <summary>Qwen2 / Qwen2.5: LLaMA plus biases on the Q, K and V projections.</summary>
    Qwen2,
    /// <summary>Qwen3: LLaMA plus a per-head RMSNorm on Q and K before rope.</summary>
    Qwen3,
}

/// <summary>
/// Llama-3 frequency-dependent rope scaling (HF config <c>rope_scaling</c> with <c>rope_type: "llama3"</c>).
/// Source: transformers <c>_compute_llama3_parameters</c>; llama.cpp stores the resulting factors as the
/// <c>rope_freqs.weight</c> tensor.
/// </summary>
public sealed record RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>
/// Everything the decoder needs to know about a checkpoint's shape, in Hugging Face's vocabulary.
/// Weights are always held in Hugging Face layout (rope rotates halves of each head, "NeoX style");
/// loaders convert other layouts (llama.cpp's permuted LLaMA Q/K) on the way in.
/// </summary>
public sealed record ModelConfig
{
    public required Architecture Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Per-head width; HiddenSize / NumHeads unless the checkpoint says otherwise (Qwen3 may).</summary>
    public required int HeadDim { get; init; }
    public float RmsNormEps { get; init; } = 1e-6f;
    public float RopeTheta { get; init; } = 10000f;
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>
    /// Per-frequency divisors as llama.cpp stores them (GGUF tensor <c>rope_freqs.weight</c>, HeadDim/2 values).
    /// When set they take the place of <see cref="RopeScaling"/>; see <see cref="RopeFrequencies"/>.
    /// </summary>
    public float[]? RopeFreqFactors { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Qwen2 family: Q, K and V projections carry biases.</summary>
    public bool AttentionBias => Architecture == Architecture.Qwen2;
    /// <summary>Qwen3 family: RMSNorm over each head of Q and K before rope.</summary>
    public bool QkNorm => Architecture == Architecture.Qwen3;

    public int QDim => NumHeads * HeadDim;
    public int KvDim => NumKvHeads * HeadDim;

    /// <summary>Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> and the field when the shape is inconsistent.</summary>
    public void Validate(string source)
    {
        void Positive(int v, string field)
        {
            if (v <= 0) throw new ModelFormatException($"{source}: {field} must be a positive integer, got {v}");
        }
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumLayers, "num_hidden_layers");
        Positive(NumHeads, "num_attention_heads");
        Positive(NumKvHeads, "num_key_value_heads");
        Positive(VocabSize, "vocab_size");
        Positive(HeadDim, "head_dim");
        if (NumHeads % NumKvHeads != 0)
            throw new ModelFormatException($"{source}: num_attention_heads ({NumHeads}) must be a multiple of num_key_value_heads ({NumKvHeads})");
        if (HeadDim % 2 != 0)
            throw new ModelFormatException($"{source}: head_dim must be even for rope, got {HeadDim}");
        if (!(RmsNormEps > 0)) throw new ModelFormatException($"{source}: rms_norm_eps must be > 0, got {RmsNormEps}");
        if (!(RopeTheta > 0)) throw new ModelFormatException($"{source}: rope_theta must be > 0, got {RopeTheta}");
    }
}
