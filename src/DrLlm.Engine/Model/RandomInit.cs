namespace DrLlm.Engine.Model;

/// <summary>
/// Deterministic random weights for a config, in Hugging Face names and layout (linear weights [out, in]). Used by
/// <c>drllm init-model</c> (benchmark and test models; no pretrained weights can be downloaded here) and by the tests.
/// Linear weights ~ U(-a, a) with a = scale·sqrt(3/in) (unit variance per output), embeddings ~ U(-1, 1), norm
/// weights 1 ± 0.2 and biases ±0.5, so every parameter's effect is visible in the output.
/// </summary>
public static class RandomInit
{
    public static Dictionary<string, float[]> Weights(ModelConfig c, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var w = new Dictionary<string, float[]>();
        float[] Mat(int rows, int cols)
        {
            var m = new float[(long)rows * cols];
            float a = scale * MathF.Sqrt(3f / cols);
            for (long i = 0; i < m.LongLength; i++) m[i] = (rng.NextSingle() * 2 - 1) * a;
            return m;
        }
        float[] Vec(long n, float center, float spread)
        {
            var v = new float[n];
            for (long i = 0; i < n; i++) v[i] = center + (rng.NextSingle() * 2 - 1) * spread;
            return v;
        }
        int d = c.HiddenSize;
        w["model.embed_tokens.weight"] = Vec((long)c.VocabSize * d, 0, 1f);
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            w[p + "input_layernorm.weight"] = Vec(d, 1, 0.2f);
            w[p + "self_attn.q_proj.weight"] = Mat(c.QDim, d);
            w[p + "self_attn.k_proj.weight"] = Mat(c.KvDim, d);
            w[p + "self_attn.v_proj.weight"] = Mat(c.KvDim, d);
            if (c.AttentionBias)
            {
                w[p + "self_attn.q_proj.bias"] = Vec(c.QDim, 0, 0.5f);
                w[p + "self_attn.k_proj.bias"] = Vec(c.KvDim, 0, 0.5f);
                w[p + "self_attn.v_proj.bias"] = Vec(c.KvDim, 0, 0.5f);
            }
            if (c.QkNorm)
            {
                w[p + "self_attn.q_norm.weight"] = Vec(c.HeadDim, 1, 0.2f);
                w[p + "self_attn.k_norm.weight"] = Vec(c.HeadDim, 1, 0.2f);
            }
            w[p + "self_attn.o_proj.weight"] = Mat(d, c.QDim);
            w[p + "post_attention_layernorm.weight"] = Vec(d, 1, 0.2f);
            w[p + "mlp.gate_proj.weight"] = Mat(c.IntermediateSize, d);
            w[p + "mlp.up_proj.weight"] = Mat(c.IntermediateSize, d);
            w[p + "mlp.down_proj.weight"] = Mat(d, c.IntermediateSize);
        }
        w["model.norm.weight"] = Vec(d, 1, 0.2f);
        if (!c.TieWordEmbeddings) w["lm_head.weight"] = Mat(c.VocabSize, d);
        return w;
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
