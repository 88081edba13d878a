using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Engine;

/// <summary>Small random models of each supported family, built in memory.</summary>
public static class TestModels
{
    public static ModelConfig Llama(int layers = 4) => new()
    {
        Architecture = Architecture.Llama, HiddenSize = 64, IntermediateSize = 96, NumLayers = layers,
        NumHeads = 4, NumKvHeads = 2, HeadDim = 16, VocabSize = 97, RmsNormEps = 1e-5f, RopeTheta = 10000f,
    };

    public static ModelConfig Llama3Scaled() => Llama() with
    {
        RopeTheta = 500000f, RopeScaling = new RopeScaling(8f, 1f, 4f, 64), TieWordEmbeddings = true,
    };

    public static ModelConfig Qwen2() => Llama(3) with { Architecture = Architecture.Qwen2, NumKvHeads = 1, RopeTheta = 1e6f, TieWordEmbeddings = true };

    public static ModelConfig Qwen3() => Llama(3) with { Architecture = Architecture.Qwen3, HeadDim = 32, RmsNormEps = 1e-6f };

    /// <summary>Deterministic weights in Hugging Face names and layout: linear ~ U(-a, a) with a = scale·sqrt(3/in), norms near 1.</summary>
    public static Dictionary<string, float[]> RandomWeights(ModelConfig c, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var w = new Dictionary<string, float[]>();
        float[] Mat(int rows, int cols)
        {
            var m = new float[rows * cols];
            float a = scale * MathF.Sqrt(3f / cols);
            for (int i = 0; i < m.Length; i++) m[i] = (float)(rng.NextDouble() * 2 - 1) * a;
            return m;
        }
        float[] Vec(int n, float center, float spread)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = center + (float)(rng.NextDouble() * 2 - 1) * spread;
            return v;
        }
        int d = c.HiddenSize;
        w["model.embed_tokens.weight"] = Vec(c.VocabSize * d, 0, 1f);
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

    public static Dictionary<string, long[]> Shapes(ModelConfig c, IReadOnlyDictionary<string, float[]> w)
    {
        var s = new Dictionary<string, long[]>();
        foreach (var (name, data) in w)
        {
            long cols = name.EndsWith("_proj.weight") || name is "model.embed_tokens.weight" or "lm_head.weight"
                ? name switch
                {
                    _ when name.EndsWith("o_proj.weight") => c.QDim,
                    _ when name.EndsWith("down_proj.weight") => c.IntermediateSize,
                    _ => c.HiddenSize,
                }
                : 0;
            s[name] = cols == 0 ? [data.Length] : [data.Length / cols, cols];
        }
        return s;
    }

    public static Decoder InMemory(ModelConfig c, IReadOnlyDictionary<string, float[]> w, int threads = 2)
    {
        var shapes = Shapes(c, w);
        var src = new InMemoryTensorSource(w.ToDictionary(kv => kv.Key, kv => (shapes[kv.Key], kv.Value)));
        return new Decoder(ModelWeights.FromCheckpoint(new Formats.Checkpoint(c, src, "memory")), threads);
    }

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
