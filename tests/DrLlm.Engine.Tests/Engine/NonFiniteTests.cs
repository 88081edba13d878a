using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;
using DrLlm.Tests.Shared;

namespace DrLlm.Engine.Tests.Engine;

/// <summary>
/// Issue 16: weights holding NaN or ±∞ are refused at load naming the tensor (HF and GGUF, copied or mapped), and
/// finite weights whose activations overflow fail at the logits instead of printing tokens picked from NaNs.
/// </summary>
public class NonFiniteTests
{
    private const string Tensor = "model.layers.1.mlp.down_proj.weight";

    private static Dictionary<string, float[]> Poisoned(ModelConfig c, float value)
    {
        var t = TinyModels.Tensors(c);
        t[Tensor][5] = value;
        return t;
    }

    [Theory]
    [InlineData(float.NaN, "NaN", false)]
    [InlineData(float.PositiveInfinity, "+Inf", false)]
    [InlineData(float.NegativeInfinity, "-Inf", true)]
    public void A_non_finite_weight_is_refused_at_load_naming_the_tensor_and_element(float value, string shown, bool mapped)
    {
        using var dir = new TempDir();
        var c = TinyModels.Config(Architecture.Llama);
        HfCheckpointWriter.Write(dir.Path, c, Poisoned(c, value), TensorDType.F32);
        var e = Assert.Throws<ModelFormatException>(() => Decoder.Load(dir.Path, threads: 1, map: mapped).Dispose());
        Assert.Equal($"{dir.Path}: tensor '{Tensor}' holds {shown} at element 5; weights must be finite", e.Message);

        string gguf = dir.File("m.gguf");
        GgufCheckpointWriter.Write(gguf, c, Poisoned(c, value), TensorDType.F16);
        e = Assert.Throws<ModelFormatException>(() => Decoder.Load(gguf, threads: 1).Dispose());
        Assert.Contains($"tensor '{Tensor}' holds", e.Message);
    }

    [Fact]
    public void The_scan_finds_the_first_non_finite_value_anywhere_in_a_span()
    {
        var v = new float[1037];
        Assert.Equal(-1, FiniteValues.FirstNonFinite(v));
        foreach (int at in new[] { 0, 7, 8, 511, 1030, 1036 })
        {
            Array.Clear(v);
            v[at] = float.NaN;
            Assert.Equal(at, FiniteValues.FirstNonFinite(v));
            v[at] = float.NegativeInfinity;
            Assert.Equal(at, FiniteValues.FirstNonFinite(v));
        }
        v[3] = float.MaxValue; // large but finite
        v[1036] = 0;
        Assert.Equal(-1, FiniteValues.FirstNonFinite(v.AsSpan(0, 1030)));
    }

    [Fact]
    public void Generate_and_logits_on_such_a_model_fail_in_one_line_naming_the_tensor()
    {
        using var dir = new TempDir();
        var c = TinyModels.Config(Architecture.Llama);
        HfCheckpointWriter.Write(dir.Path, c, Poisoned(c, float.NaN), TensorDType.F32);
        foreach (var command in new[] { "generate", "logits" })
        {
            var (code, output, err) = DrllmProcess.Run(command, "--model", dir.Path, "--tokens", "1,2,3", "--threads", "1");
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Equal($"error: {dir.Path}: tensor '{Tensor}' holds NaN at element 5; weights must be finite", err.Trim());
        }
    }

    [Fact]
    public void Finite_weights_whose_activations_overflow_fail_at_the_logits()
    {
        using var dir = new TempDir();
        var c = TinyModels.Config(Architecture.Llama);
        var t = TinyModels.Tensors(c);
        foreach (var w in t.Values) for (int i = 0; i < w.Length; i++) w[i] *= 1e18f; // finite, but products reach ∞
        HfCheckpointWriter.Write(dir.Path, c, t, TensorDType.F32);
        var (code, output, err) = DrllmProcess.Run("logits", "--model", dir.Path, "--tokens", "1,2,3", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Matches(@"^error: the model produced a non-finite logit \((NaN|[+-]Inf) for token \d+\): its activations overflowed on this input and path$", err.Trim());
    }
}
