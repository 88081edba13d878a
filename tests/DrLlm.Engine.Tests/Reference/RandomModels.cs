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

    /// <summary>SmolLM2-135M's shape (with a 32000-token vocabulary): the benchmark model.</summary>
    public static ModelConfig SmolLm2_135M { get; } = new()
    {
        Architecture = Architecture.Llama,
        HiddenSize = 576,
        IntermediateSize = 1536,
        NumLayers = 30,
        NumHeads = 9,
        NumKvHeads = 3,
        HeadDim = 64,
        VocabSize = 32000,
        RmsNormEps = 1e-5f,
        RopeTheta = 10000f,
        TieWordEmbeddings = true,
        MaxPositionEmbeddings = 8192,
    };

    /// <summary>The tiny shapes, by name, for theories over architectures.</summary>
    public static IReadOnlyDictionary<string, ModelConfig> Tiny { get; } = new Dictionary<string, ModelConfig>
    {
        ["llama-gqa"] = TinyLlamaGqa,
        ["qwen2"] = TinyQwen2,
        ["qwen3"] = TinyQwen3,
        ["llama3-scaled"] = TinyLlama3Scaled,
    };

    /// <summary>
    /// Every tensor <paramref name="c"/> needs (<see cref="CheckpointSchema.Expected"/>), by Hugging Face name:
    /// weights and biases ~ N(0, scale²), norm weights ~ 1 + N(0, 0.1²). Deterministic in <paramref name="seed"/>;
    /// each tensor draws from its own stream (seed and name), so adding a tensor does not change the others.
    /// </summary>
    public static Dictionary<string, float[]> RandomWeights(ModelConfig c, int seed, float scale)
    {
        var w = new Dictionary<string, float[]>();
        foreach (var (name, shape, _) in CheckpointSchema.Expected(c))
        {
            var n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
            w[name] = name.EndsWith("norm.weight", StringComparison.Ordinal)
                ? Gaussian(seed, name, n, 1f, 0.1f)
                : Gaussian(seed, name, n, 0f, scale);
        }
        return w;
    }

    /// <summary>n samples of N(mean, std²) (Box–Muller) from a stream keyed by seed and name.</summary>
    static float[] Gaussian(int seed, string name, int n, float mean, float std)
    {
        var rng = new Random(HashCode32($"{seed}:{name}"));
        var v = new float[n];
        for (var i = 0; i < n; i += 2)
        {
            var u1 = 1.0 - rng.NextDouble(); // (0, 1]: log is finite
            var u2 = rng.NextDouble();
            var r = Math.Sqrt(-2.0 * Math.Log(u1));
            v[i] = mean + std * (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < n) v[i + 1] = mean + std * (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return v;
    }

    /// <summary>FNV-1a: string.GetHashCode is randomised per process, this is not.</summary>
    static int HashCode32(string s)
    {
        var h = 2166136261u;
        foreach (var ch in s) h = (h ^ ch) * 16777619u;
        return (int)h;
    }
}
