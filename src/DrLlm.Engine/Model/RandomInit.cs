namespace DrLlm.Engine.Model;

/// <summary>
/// Deterministic random weights for a config, in Hugging Face names and layout (linear weights [out, in]). Used by
/// <c>drllm init-model</c> (benchmark and test models; no pretrained weights can be downloaded here) and by the tests.
/// Every tensor the config needs (<see cref="Formats.CheckpointSchema.Expected"/>): weights and biases ~ N(0, scale²),
/// norm weights ~ 1 + N(0, 0.1²). Each tensor draws from its own stream (seed and name), so adding a tensor does not
/// change the others.
/// </summary>
public static class RandomInit
{
    public static Dictionary<string, float[]> Weights(ModelConfig c, int seed, float scale)
    {
        var w = new Dictionary<string, float[]>();
        foreach (var (name, shape, _) in Formats.CheckpointSchema.Expected(c))
        {
            var n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
            w[name] = name.EndsWith("norm.weight", StringComparison.Ordinal)
                ? Gaussian(seed, name, n, 1f, 0.1f)
                : Gaussian(seed, name, n, 0f, scale);
        }
        return w;
    }

    /// <summary>n samples of N(mean, std²) (Box–Muller) from a stream keyed by seed and name.</summary>
    private static float[] Gaussian(int seed, string name, int n, float mean, float std)
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
    private static int HashCode32(string s)
    {
        var h = 2166136261u;
        foreach (var ch in s) h = (h ^ ch) * 16777619u;
        return (int)h;
    }
}

/// <summary>Named shapes of real checkpoints, for random benchmark models and memory checks.</summary>
public static class ModelShapes
{
    /// <summary>SmolLM2-135M (HuggingFaceTB) with a 32000-token vocabulary: the engine benchmark's model.</summary>
    public static ModelConfig SmolLm2_135M { get; } = new()
    {
        Architecture = Architecture.Llama, HiddenSize = 576, IntermediateSize = 1536, NumLayers = 30, NumHeads = 9,
        NumKvHeads = 3, HeadDim = 64, VocabSize = 32000, RmsNormEps = 1e-5f, RopeTheta = 10000f,
        TieWordEmbeddings = true, MaxPositionEmbeddings = 8192,
    };

    /// <summary>Qwen2.5-3B (config.json of Qwen/Qwen2.5-3B).</summary>
    public static ModelConfig Qwen25_3B { get; } = new()
    {
        Architecture = Architecture.Qwen2, HiddenSize = 2048, IntermediateSize = 11008, NumLayers = 36, NumHeads = 16,
        NumKvHeads = 2, HeadDim = 128, VocabSize = 151936, RmsNormEps = 1e-6f, RopeTheta = 1000000f,
        TieWordEmbeddings = true, MaxPositionEmbeddings = 32768,
    };

    /// <summary>Llama-3.2-3B (config.json of meta-llama/Llama-3.2-3B), with its llama3 rope scaling.</summary>
    public static ModelConfig Llama32_3B { get; } = new()
    {
        Architecture = Architecture.Llama, HiddenSize = 3072, IntermediateSize = 8192, NumLayers = 28, NumHeads = 24,
        NumKvHeads = 8, HeadDim = 128, VocabSize = 128256, RmsNormEps = 1e-5f, RopeTheta = 500000f,
        RopeScaling = new RopeScaling(32f, 1f, 4f, 8192), TieWordEmbeddings = true, MaxPositionEmbeddings = 131072,
    };

    public static IReadOnlyDictionary<string, ModelConfig> ByName { get; } = new Dictionary<string, ModelConfig>
    {
        ["smollm2-135m"] = SmolLm2_135M,
        ["qwen2.5-3b"] = Qwen25_3B,
        ["llama-3.2-3b"] = Llama32_3B,
    };
}
