using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;

namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// llama.cpp loads what GgufCheckpointWriter writes for every architecture we run, and the shim returns its
/// logits faithfully: right size, finite, deterministic, causal, and sensitive to every feature of the config.
/// </summary>
public class LlamaCppModelTests
{
    static readonly int[] Tokens = [1, 17, 99, 3, 42, 7, 127, 64];

    public static TheoryData<string> TinyNames => new(RandomModels.Tiny.Keys);

    /// <summary>Writes <paramref name="c"/> with random weights to a temp GGUF and loads it into llama.cpp.</summary>
    static LlamaCppReference Load(TempDir dir, ModelConfig c, Dictionary<string, float[]> weights,
        TensorDType dtype = TensorDType.F32, string name = "model.gguf")
    {
        var path = dir.File(name);
        GgufCheckpointWriter.Write(path, c, weights, dtype);
        return LlamaCppReference.Load(path, threads: 2, contextSize: 64);
    }

    static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0f;
        for (var i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }

    [Theory]
    [MemberData(nameof(TinyNames))]
    public void Loads_each_architecture_and_returns_finite_deterministic_logits(string name)
    {
        var c = RandomModels.Tiny[name];
        using var dir = new TempDir();
        using var m = Load(dir, c, RandomModels.RandomWeights(c, seed: 1, scale: 0.1f));

        Assert.Equal(c.VocabSize, m.VocabSize);
        var logits = m.LogitsAll(Tokens);
        Assert.Equal(Tokens.Length * c.VocabSize, logits.Length);
        Assert.All(logits, x => Assert.True(float.IsFinite(x)));
        Assert.True(logits.Max() - logits.Min() > 0.1f, $"{name}: logits barely vary ({logits.Min()}..{logits.Max()})");
        Assert.Equal(logits, m.LogitsAll(Tokens)); // bit for bit: the KV cache is cleared between calls
        Assert.Equal(logits[^c.VocabSize..], m.LastLogits(Tokens));
    }

    [Theory]
    [MemberData(nameof(TinyNames))]
    public void Llama_cpp_agrees_with_a_textbook_forward_pass(string name)
    {
        var c = RandomModels.Tiny[name];
        var weights = RandomModels.RandomWeights(c, seed: 9, scale: 0.1f);
        int[] tokens = [.. Enumerable.Range(0, 48).Select(i => (i * 37 + 11) % c.VocabSize)]; // long enough for rope to turn
        using var dir = new TempDir();
        using var m = Load(dir, c, weights);

        var expected = NaiveForward.LogitsAll(c, weights, tokens);
        var actual = m.LogitsAll(tokens);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        var scale = Math.Max(1, expected.Max(Math.Abs));
        Assert.True(worst < 2e-5 * scale, $"{name}: max |llama.cpp - textbook| = {worst:g3} (logits up to {scale:g3})");
    }

    [Fact]
    public void Logits_of_a_prefix_do_not_depend_on_later_tokens()
    {
        var c = RandomModels.TinyLlamaGqa;
        using var dir = new TempDir();
        using var m = Load(dir, c, RandomModels.RandomWeights(c, seed: 2, scale: 0.1f));

        var all = m.LogitsAll(Tokens);
        for (var n = 1; n <= Tokens.Length; n++)
        {
            var row = all.AsSpan((n - 1) * c.VocabSize, c.VocabSize);
            Assert.True(MaxAbsDiff(row, m.LastLogits(Tokens.AsSpan(0, n))) < 1e-4f, $"row {n - 1}");
        }
        var changedTail = Tokens.ToArray();
        changedTail[^1] = 5;
        Assert.Equal(all[..((Tokens.Length - 1) * c.VocabSize)], m.LogitsAll(changedTail)[..((Tokens.Length - 1) * c.VocabSize)]);
    }

    [Fact]
    public void Qwen2_attention_biases_reach_llama_cpp()
    {
        var c = RandomModels.TinyQwen2;
        var weights = RandomModels.RandomWeights(c, seed: 3, scale: 0.1f);
        var noBias = new Dictionary<string, float[]>(weights);
        foreach (var key in weights.Keys.Where(k => k.EndsWith(".bias", StringComparison.Ordinal)))
            noBias[key] = new float[weights[key].Length];
        using var dir = new TempDir();
        using var with = Load(dir, c, weights, name: "bias.gguf");
        using var without = Load(dir, c, noBias, name: "zero-bias.gguf");
        Assert.True(MaxAbsDiff(with.LogitsAll(Tokens), without.LogitsAll(Tokens)) > 1e-3f);
    }

    [Fact]
    public void Llama3_rope_scaling_reaches_llama_cpp()
    {
        var c = RandomModels.TinyLlama3Scaled;
        var weights = RandomModels.RandomWeights(c, seed: 4, scale: 0.1f);
        using var dir = new TempDir();
        using var scaled = Load(dir, c, weights, name: "scaled.gguf");
        using var plain = Load(dir, c with { RopeScaling = null }, weights, name: "plain.gguf");
        var a = scaled.LogitsAll(Tokens);
        var b = plain.LogitsAll(Tokens);
        Assert.Equal(a[..c.VocabSize], b[..c.VocabSize]); // position 0: rope is the identity either way
        Assert.True(MaxAbsDiff(a, b) > 1e-4f);
    }

    [Theory]
    [InlineData(TensorDType.F16)]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.Q8_0)]
    public void Loads_reduced_precision_weights_close_to_f32(TensorDType dtype)
    {
        var c = RandomModels.TinyQwen3;
        var weights = RandomModels.RandomWeights(c, seed: 5, scale: 0.1f);
        using var dir = new TempDir();
        using var f32 = Load(dir, c, weights, name: "f32.gguf");
        using var low = Load(dir, c, weights, dtype, name: $"{dtype}.gguf");
        var a = f32.LogitsAll(Tokens);
        var diff = MaxAbsDiff(a, low.LogitsAll(Tokens));
        Assert.True(diff > 0 && diff < 0.05f * a.Max(MathF.Abs), $"{dtype}: max |diff| {diff}");
    }

    [Fact]
    public void Bad_calls_are_errors_not_crashes()
    {
        var c = RandomModels.TinyLlamaGqa;
        using var dir = new TempDir();
        var m = Load(dir, c, RandomModels.RandomWeights(c, seed: 6, scale: 0.1f));

        var e = Assert.Throws<InvalidOperationException>(() => m.LogitsAll([1, c.VocabSize]));
        Assert.Contains($"token {c.VocabSize} at index 1 is outside the vocabulary", e.Message);
        Assert.Throws<ArgumentException>(() => m.LogitsAll([]));
        Assert.Throws<ArgumentException>(() => m.LogitsAll(new int[m.ContextSize + 1]));
        Assert.Contains("n_prompt + n_gen", Assert.Throws<InvalidOperationException>(() => m.Bench(60, 10)).Message);
        Assert.Equal(c.VocabSize, m.LastLogits([1]).Length); // still usable after the errors

        m.Dispose();
        m.Dispose();
        Assert.Throws<ObjectDisposedException>(() => m.LogitsAll([1]));
    }

    [Fact]
    public void Bench_times_prefill_and_decode()
    {
        var c = RandomModels.TinyLlamaGqa;
        using var dir = new TempDir();
        using var m = Load(dir, c, RandomModels.RandomWeights(c, seed: 7, scale: 0.1f));
        var (prefill, decode) = m.Bench(nPrompt: 32, nGen: 8);
        Assert.InRange(prefill, 1e-7, 10);
        Assert.InRange(decode, 1e-7, 10);
    }

    [Fact]
    public async Task Bench_program_prints_one_json_line()
    {
        var c = RandomModels.TinyLlamaGqa;
        using var dir = new TempDir();
        var path = dir.File("bench.gguf");
        GgufCheckpointWriter.Write(path, c, RandomModels.RandomWeights(c, seed: 8, scale: 0.1f), TensorDType.F32);

        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(LlamaCppReference.Ensure(), "llamaref-bench"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { path, "16", "4", "1", "1" }) psi.ArgumentList.Add(arg);
        using var proc = System.Diagnostics.Process.Start(psi)!;
        var stderr = proc.StandardError.ReadToEndAsync();
        var stdout = await proc.StandardOutput.ReadToEndAsync();
        await proc.WaitForExitAsync();
        Assert.True(proc.ExitCode == 0, await stderr);

        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal("llama.cpp", json.RootElement.GetProperty("engine").GetString());
        Assert.True(json.RootElement.GetProperty("prefill_tok_s").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("decode_tok_s").GetDouble() > 0);
        Assert.Equal(16, json.RootElement.GetProperty("prompt_tokens").GetInt32());
    }
}
