using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// Model shapes for tests, and deterministic random weights for them in Hugging Face names and layout
/// (linear weights [out, in] row-major), ready for a checkpoint writer.
/// </summary>
public static class RandomModels
{
    /// <summary>LLaMA with grouped-query attention: 4 query heads share 2 KV heads.</summary>
    public static ModelConfig TinyLlamaGqa { get; } = new()
    {
        Architecture = Architecture.Llama,
        HiddenSize = 64,
        IntermediateSize = 96,
        NumLayers = 3,
        NumHeads = 4,
        NumKvHeads = 2,
        HeadDim = 16,
        VocabSize = 128,
        RmsNormEps = 1e-5f,
        RopeTheta = 10000f,
        MaxPositionEmbeddings = 256,
    };

    /// <summary>Qwen2: biases on Q, K and V, tied embeddings, rope theta 1e6 (as Qwen2.5-0.5B).</summary>
    public static ModelConfig TinyQwen2 { get; } = TinyLlamaGqa with
    {
        Architecture = Architecture.Qwen2,
        RmsNormEps = 1e-6f,
        RopeTheta = 1000000f,
        TieWordEmbeddings = true,
    };

    /// <summary>Qwen3: per-head RMSNorm on Q and K, and a head width that is not hidden / heads (32 vs 16).</summary>
    public static ModelConfig TinyQwen3 { get; } = TinyLlamaGqa with
    {
        Architecture = Architecture.Qwen3,
        HeadDim = 32,
        RmsNormEps = 1e-6f,
        RopeTheta = 1000000f,
        TieWordEmbeddings = true,
    };

    /// <summary>LLaMA 3.x rope scaling (factor 8, low 1, high 4, original context 8192; theta 500000).</summary>
    public static ModelConfig TinyLlama3Scaled { get; } = TinyLlamaGqa with
    {
        RopeTheta = 500000f,
        RopeScaling = new RopeScaling(Factor: 8f, LowFreqFactor: 1f, HighFreqFactor: 4f, OriginalMaxPositionEmbeddings: 8192),
        MaxPositionEmbeddings = 131072,
    };

    public static ModelConfig SmolLm2_135M => ModelShapes.SmolLm2_135M;

    /// <summary>The tiny shapes, by name, for theories over architectures.</summary>
    public static IReadOnlyDictionary<string, ModelConfig> Tiny { get; } = new Dictionary<string, ModelConfig>
    {
        ["llama-gqa"] = TinyLlamaGqa,
        ["qwen2"] = TinyQwen2,
        ["qwen3"] = TinyQwen3,
        ["llama3-scaled"] = TinyLlama3Scaled,
    };

    /// <summary>Random weights for <paramref name="c"/>: see <see cref="RandomInit.Weights"/>.</summary>
    public static Dictionary<string, float[]> RandomWeights(ModelConfig c, int seed, float scale) =>
        RandomInit.Weights(c, seed, scale);

    /// <summary>A decoder over weights held in memory: the same loading path as a checkpoint on disk.</summary>
    public static Decoder InMemory(ModelConfig c, IReadOnlyDictionary<string, float[]> w, int threads = 2) =>
        new(ModelWeights.FromCheckpoint(InMemoryTensorSource.Checkpoint(c, w)), threads);

    /// <summary>
    /// The weights of a model whose block list *is* <paramref name="path"/>: block i of the new model is block path[i]
    /// of the old one. Running it plainly must equal running the old model with the path.
    /// </summary>
    public static (ModelConfig, Dictionary<string, float[]>) Unrolled(ModelConfig c, IReadOnlyDictionary<string, float[]> w, IReadOnlyList<int> path)
    {
        var u = new Dictionary<string, float[]>();
        foreach (var (name, data) in w)
            if (!name.StartsWith("model.layers.")) u[name] = data;
        for (int i = 0; i < path.Count; i++)
        {
            string from = $"model.layers.{path[i]}.", to = $"model.layers.{i}.";
            foreach (var (name, data) in w)
                if (name.StartsWith(from)) u[to + name[from.Length..]] = data;
        }
        return (c with { NumLayers = path.Count }, u);
    }
}
