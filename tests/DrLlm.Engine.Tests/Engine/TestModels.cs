using DrLlm.Engine.Formats;
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

    public static Dictionary<string, float[]> RandomWeights(ModelConfig c, int seed, float scale = 1f) =>
        RandomInit.Weights(c, seed, scale);

    public static Decoder InMemory(ModelConfig c, IReadOnlyDictionary<string, float[]> w, int threads = 2)
    {
        var shapes = CheckpointSchema.Expected(c).ToDictionary(e => e.Name, e => e.Shape);
        var src = new InMemoryTensorSource(w.ToDictionary(kv => kv.Key, kv => (shapes[kv.Key], kv.Value)));
        return new Decoder(ModelWeights.FromCheckpoint(new Checkpoint(c, src, "memory")), threads);
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
