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
    public static Dictionary<string, float[]> Weights(ModelConfig c, int seed, float scale) =>
        Lazy(c, seed, scale).ToDictionary(e => e.Key, e => e.Value);

    /// <summary>
    /// The same tensors, each generated when it is read and not kept: a writer that takes one tensor at a time writes
    /// an 8B shape (32 GB as f32) within a few GB of memory.
    /// </summary>
    public static IReadOnlyDictionary<string, float[]> Lazy(ModelConfig c, int seed, float scale) => new LazyTensors(c, seed, scale);

    private static float[] Tensor(string name, long[] shape, int seed, float scale)
    {
        var n = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        return name.EndsWith("norm.weight", StringComparison.Ordinal)
            ? Gaussian(seed, name, n, 1f, 0.1f)
            : Gaussian(seed, name, n, 0f, scale);
    }

    private sealed class LazyTensors(ModelConfig c, int seed, float scale) : IReadOnlyDictionary<string, float[]>
    {
        private readonly Dictionary<string, long[]> _shapes = Formats.CheckpointSchema.Expected(c).ToDictionary(e => e.Name, e => e.Shape);

        public float[] this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
        public IEnumerable<string> Keys => _shapes.Keys;
        public IEnumerable<float[]> Values => _shapes.Select(e => Tensor(e.Key, e.Value, seed, scale));
        public int Count => _shapes.Count;
        public bool ContainsKey(string key) => _shapes.ContainsKey(key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out float[] value)
        {
            value = _shapes.TryGetValue(key, out var shape) ? Tensor(key, shape, seed, scale) : null;
            return value is not null;
        }

        public IEnumerator<KeyValuePair<string, float[]>> GetEnumerator() =>
            _shapes.Select(e => KeyValuePair.Create(e.Key, Tensor(e.Key, e.Value, seed, scale))).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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

    /// <summary>Llama-3.1-8B (config.json of meta-llama/Llama-3.1-8B): the paper's LLaMA, 16 GB in bf16.</summary>
    public static ModelConfig Llama31_8B { get; } = new()
    {
        Architecture = Architecture.Llama, HiddenSize = 4096, IntermediateSize = 14336, NumLayers = 32, NumHeads = 32,
        NumKvHeads = 8, HeadDim = 128, VocabSize = 128256, RmsNormEps = 1e-5f, RopeTheta = 500000f,
        RopeScaling = new RopeScaling(8f, 1f, 4f, 8192), TieWordEmbeddings = false, MaxPositionEmbeddings = 131072,
    };

    /// <summary>Qwen2.5-7B (config.json of Qwen/Qwen2.5-7B): the paper's Qwen, 15 GB in bf16.</summary>
    public static ModelConfig Qwen25_7B { get; } = new()
    {
        Architecture = Architecture.Qwen2, HiddenSize = 3584, IntermediateSize = 18944, NumLayers = 28, NumHeads = 28,
        NumKvHeads = 4, HeadDim = 128, VocabSize = 152064, RmsNormEps = 1e-6f, RopeTheta = 1000000f,
        TieWordEmbeddings = false, MaxPositionEmbeddings = 131072,
    };

    public static IReadOnlyDictionary<string, ModelConfig> ByName { get; } = new Dictionary<string, ModelConfig>
    {
        ["smollm2-135m"] = SmolLm2_135M,
        ["qwen2.5-3b"] = Qwen25_3B,
        ["llama-3.2-3b"] = Llama32_3B,
        ["llama-3.1-8b"] = Llama31_8B,
        ["qwen2.5-7b"] = Qwen25_7B,
    };
}
