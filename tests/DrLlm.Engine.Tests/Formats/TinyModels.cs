using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Formats;

/// <summary>Small random checkpoints: big enough to exercise GQA, Q8_0 blocks and byte tokens, small enough to be instant.</summary>
public static class TinyModels
{
    public static ModelConfig Config(Architecture arch, bool tied = false, RopeScaling? scaling = null) => new()
    {
        Architecture = arch,
        HiddenSize = 64,
        IntermediateSize = 96,
        NumLayers = 2,
        NumHeads = 4,
        NumKvHeads = 2,
        VocabSize = 300,
        // Qwen3 checkpoints may have num_heads*head_dim != hidden_size; exercise that.
        HeadDim = arch == Architecture.Qwen3 ? 32 : 16,
        RmsNormEps = 1e-5f,
        RopeTheta = 500000f,
        RopeScaling = scaling,
        TieWordEmbeddings = tied,
        MaxPositionEmbeddings = 2048,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    public static Dictionary<string, float[]> Tensors(ModelConfig c, int seed = 7) => RandomInit.Weights(c, seed, scale: 0.3f);

    /// <summary>Worst-case absolute error of storing <paramref name="x"/> as <paramref name="dtype"/>, given the block's amax for Q8_0.</summary>
    public static float Tolerance(TensorDType dtype, float x, float amax) => dtype switch
    {
        TensorDType.F32 => 0f,
        TensorDType.F16 => MathF.Abs(x) * 1e-3f + 1e-7f,
        TensorDType.BF16 => MathF.Abs(x) * 4e-3f,
        TensorDType.Q8_0 => amax * 0.6f / 127,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static void AssertClose(float[] expected, float[] actual, TensorDType dtype, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float amax = expected.Max(MathF.Abs); // over the whole tensor: a bound for every block's amax
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= Tolerance(dtype, expected[i], amax),
                $"{what}[{i}] as {dtype}: {actual[i]} vs {expected[i]}");
    }

    public static float[] Read(ITensorSource s, string name)
    {
        var dst = new float[s.Tensors[name].ElementCount];
        s.ReadF32(name, dst);
        return dst;
    }
}
