using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Reference;

public class RandomModelsTests
{
    public static TheoryData<string> TinyNames => new(RandomModels.Tiny.Keys);

    [Theory]
    [MemberData(nameof(TinyNames))]
    public void Tiny_shapes_are_valid_and_weights_are_deterministic(string name)
    {
        var c = RandomModels.Tiny[name];
        c.Validate(name);
        var a = RandomModels.RandomWeights(c, seed: 7, scale: 0.05f);
        var b = RandomModels.RandomWeights(c, seed: 7, scale: 0.05f);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (key, value) in a) Assert.Equal(value, b[key]);
        Assert.NotEqual(a["model.embed_tokens.weight"], RandomModels.RandomWeights(c, seed: 8, scale: 0.05f)["model.embed_tokens.weight"]);
    }

    [Fact]
    public void Weights_have_hugging_face_names_and_sizes()
    {
        var c = RandomModels.TinyQwen3;
        var w = RandomModels.RandomWeights(c, seed: 1, scale: 0.02f);
        Assert.Equal(c.VocabSize * c.HiddenSize, w["model.embed_tokens.weight"].Length);
        Assert.Equal(c.QDim * c.HiddenSize, w["model.layers.2.self_attn.q_proj.weight"].Length);
        Assert.Equal(c.HiddenSize * c.QDim, w["model.layers.2.self_attn.o_proj.weight"].Length);
        Assert.Equal(c.HeadDim, w["model.layers.0.self_attn.k_norm.weight"].Length);
        Assert.False(w.ContainsKey("lm_head.weight"), "Qwen3 ties its embeddings");
        Assert.False(w.ContainsKey("model.layers.0.self_attn.q_proj.bias"), "only Qwen2 has attention biases");
        Assert.Equal(RandomModels.TinyQwen2.KvDim, RandomModels.RandomWeights(RandomModels.TinyQwen2, 1, 0.02f)["model.layers.0.self_attn.v_proj.bias"].Length);
        Assert.True(RandomModels.RandomWeights(RandomModels.TinyLlamaGqa, 1, 0.02f).ContainsKey("lm_head.weight"));
    }

    [Fact]
    public void Weights_follow_the_asked_distribution()
    {
        var w = RandomModels.RandomWeights(RandomModels.TinyLlamaGqa, seed: 3, scale: 0.05f);
        var e = w["model.embed_tokens.weight"];
        var mean = e.Average();
        var std = Math.Sqrt(e.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange(std, 0.045, 0.055);
        Assert.All(w["model.norm.weight"], x => Assert.InRange(x, 0.5f, 1.5f));
    }

    [Fact]
    public void SmolLm2_shape_is_valid()
    {
        var c = RandomModels.SmolLm2_135M;
        c.Validate("SmolLM2-135M");
        Assert.Equal(c.HiddenSize, c.NumHeads * c.HeadDim);
        Assert.Equal(Architecture.Llama, c.Architecture);
    }
}
