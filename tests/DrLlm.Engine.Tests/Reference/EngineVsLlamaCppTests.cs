using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;

namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// The engine against llama.cpp, an independent implementation, on GGUF files the tests write: every architecture,
/// non-default layer paths (against the plain forward of a model whose block list is the path), the Hugging Face and
/// GGUF forms of the same weights, and reduced-precision weights. Tolerance: max |diff| ≤ 1e-3 × the logits' scale.
/// </summary>
public class EngineVsLlamaCppTests
{
    private static readonly int[] Tokens = [.. Enumerable.Range(0, 40).Select(i => (i * 37 + 11) % 128)];

    public static TheoryData<string> TinyNames => new(RandomModels.Tiny.Keys);

    private static (float MaxDiff, float Scale) Compare(ReadOnlySpan<float> ours, ReadOnlySpan<float> reference)
    {
        Assert.Equal(reference.Length, ours.Length);
        float diff = 0, scale = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            diff = MathF.Max(diff, MathF.Abs(ours[i] - reference[i]));
            scale = MathF.Max(scale, MathF.Abs(reference[i]));
        }
        return (diff, scale);
    }

    private static void AssertMatches(ReadOnlySpan<float> ours, ReadOnlySpan<float> reference, string what, float tol = 1e-3f)
    {
        var (diff, scale) = Compare(ours, reference);
        Assert.True(scale > 0.1f, $"{what}: logits too flat to compare (scale {scale})");
        Assert.True(diff <= tol * scale, $"{what}: max |ours - llama.cpp| = {diff:g3} > {tol} × {scale:g3}");
    }

    private static float[] OurLogits(string path, int[] tokens, LayerPath? path2 = null, bool map = false)
    {
        using var m = Decoder.Load(path, threads: 2, map);
        using var s = m.CreateSession();
        return s.Prefill(tokens, path2 ?? LayerPath.Default(m.Config.NumLayers)).ToArray();
    }

    [Theory, MemberData(nameof(TinyNames))]
    public void Default_path_logits_match_llama_cpp(string name)
    {
        var c = RandomModels.Tiny[name];
        using var dir = new TempDir();
        var file = dir.File("m.gguf");
        GgufCheckpointWriter.Write(file, c, RandomModels.RandomWeights(c, seed: 11, scale: 0.1f), TensorDType.F32);
        using var reference = LlamaCppReference.Load(file, threads: 2, contextSize: 64);
        AssertMatches(OurLogits(file, Tokens), reference.LastLogits(Tokens), name);
    }

    [Theory]
    [InlineData("llama-gqa", "0,1,1,2")]
    [InlineData("llama-gqa", "0,2")]
    [InlineData("llama-gqa", "0,0,1,2,2")]
    [InlineData("qwen2", "1,1,2")]
    [InlineData("qwen3", "0,0,2")]
    [InlineData("llama3-scaled", "0,1,1,2,2")]
    public void A_path_matches_llama_cpp_running_the_model_whose_blocks_are_the_path(string name, string pathText)
    {
        var c = RandomModels.Tiny[name];
        var w = RandomModels.RandomWeights(c, seed: 12, scale: 0.1f);
        var path = LayerPath.Parse(pathText, c.NumLayers);
        var (uc, uw) = RandomModels.Unrolled(c, w, path.Steps);
        using var dir = new TempDir();
        string original = dir.File("m.gguf"), unrolled = dir.File("unrolled.gguf");
        GgufCheckpointWriter.Write(original, c, w, TensorDType.F32);
        GgufCheckpointWriter.Write(unrolled, uc, uw, TensorDType.F32);
        using var reference = LlamaCppReference.Load(unrolled, threads: 2, contextSize: 64);
        var expected = reference.LastLogits(Tokens);
        AssertMatches(OurLogits(original, Tokens, path), expected, $"{name} path {pathText}");
        // and the path really changes the output: the default path gives something else
        Assert.True(Compare(OurLogits(original, Tokens), expected).MaxDiff > 1e-2f);
    }

    [Fact]
    public void Incremental_decode_with_a_repeat_matches_llama_cpp_on_the_whole_sequence()
    {
        var c = RandomModels.TinyQwen2;
        var w = RandomModels.RandomWeights(c, seed: 13, scale: 0.1f);
        var path = LayerPath.Parse("0,1,1,2", c.NumLayers);
        var (uc, uw) = RandomModels.Unrolled(c, w, path.Steps);
        using var dir = new TempDir();
        GgufCheckpointWriter.Write(dir.File("m.gguf"), c, w, TensorDType.F32);
        GgufCheckpointWriter.Write(dir.File("u.gguf"), uc, uw, TensorDType.F32);
        using var reference = LlamaCppReference.Load(dir.File("u.gguf"), threads: 2, contextSize: 64);
        using var m = Decoder.Load(dir.File("m.gguf"), threads: 2);
        using var s = m.CreateSession();
        int[] prompt = Tokens[..10], continuation = Tokens[10..16];
        s.Prefill(prompt, path);
        var all = reference.LogitsAll([.. prompt, .. continuation]);
        for (int i = 0; i < continuation.Length; i++)
        {
            var ours = s.DecodeStep(continuation[i]);
            AssertMatches(ours, all.AsSpan((prompt.Length + i) * c.VocabSize, c.VocabSize), $"decode step {i}");
        }
    }

    [Theory]
    [InlineData("llama-gqa")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("llama3-scaled")]
    public void The_same_weights_as_hf_directory_and_as_gguf_give_the_same_logits(string name)
    {
        var c = RandomModels.Tiny[name];
        var w = RandomModels.RandomWeights(c, seed: 14, scale: 0.1f);
        using var dir = new TempDir();
        GgufCheckpointWriter.Write(dir.File("m.gguf"), c, w, TensorDType.F32);
        HfCheckpointWriter.Write(dir.File("hf"), c, w, TensorDType.F32);
        var path = LayerPath.Parse("0,1,1,2", c.NumLayers);
        // GGUF LLaMA stores Q/K permuted and the loader undoes it exactly, so the two runs are bit-identical.
        var fromHf = OurLogits(dir.File("hf"), Tokens, path);
        Assert.Equal(fromHf, OurLogits(dir.File("m.gguf"), Tokens, path));
        // Memory-mapped weights are the same bytes in the same layout, so the same products (GGUF LLaMA Q/K are stored
        // permuted: those two are copied and the rest mapped).
        Assert.Equal(fromHf, OurLogits(dir.File("hf"), Tokens, path, map: true));
        Assert.Equal(fromHf, OurLogits(dir.File("m.gguf"), Tokens, path, map: true));
    }

    [Fact]
    public void Bf16_weights_as_hf_directory_and_as_gguf_give_the_same_logits()
    {
        var c = RandomModels.TinyLlamaGqa;
        // Values bf16 holds exactly: the GGUF writer keeps 1-D tensors (norms) in f32 as llama.cpp's converter does,
        // safetensors stores them in bf16 too.
        var w = RandomModels.RandomWeights(c, seed: 17, scale: 0.1f)
            .ToDictionary(e => e.Key, e => e.Value.Select(v => Numerics.BF16ToF32(Numerics.F32ToBF16(v))).ToArray());
        using var dir = new TempDir();
        GgufCheckpointWriter.Write(dir.File("m.gguf"), c, w, TensorDType.BF16);
        HfCheckpointWriter.Write(dir.File("hf"), c, w, TensorDType.BF16);
        var path = LayerPath.Parse("0,0,2", c.NumLayers);
        Assert.Equal(OurLogits(dir.File("hf"), Tokens, path), OurLogits(dir.File("m.gguf"), Tokens, path));
        Assert.Equal(OurLogits(dir.File("hf"), Tokens), OurLogits(dir.File("m.gguf"), Tokens, map: true));
    }

    /// <summary>
    /// A shape whose rows are whole 256-value super-blocks (d 256, FFN 512, head_dim 64), so llama.cpp's Q4_K_M gives
    /// Q4_K and Q6_K tensors (and its Q8_0 gives Q8_0), written by llama.cpp's own quantiser from an F32 file.
    /// We compute on the quantised weights' exact values (checked against an f32 file of those values, to f32
    /// rounding); llama.cpp also rounds each activation vector to Q8_0 / Q8_K before a product with a quantised weight
    /// (ggml-cpu's vec_dot_type), which moves its logits by several percent of their scale on these random models. So
    /// the test asks: our logits match llama.cpp's on the dequantised f32 file to f32 precision, and are no further
    /// from llama.cpp's on the quantised file than llama.cpp's own two runs are from each other (with 25% slack).
    /// </summary>
    [Theory]
    [InlineData(LlamaCppReference.Q8_0, "Q8_0")]
    [InlineData(LlamaCppReference.Q4_K_M, "Q4_K,Q6_K")]
    public void Files_quantised_by_llama_cpp_run_as_their_dequantised_values_and_close_to_llama_cpp(int ftype, string types)
    {
        var c = RandomModels.TinyLlamaGqa with { HiddenSize = 256, IntermediateSize = 512, HeadDim = 64, NumHeads = 4, NumKvHeads = 2, VocabSize = 256 };
        var w = RandomModels.RandomWeights(c, seed: 18, scale: 0.1f);
        using var dir = new TempDir();
        string f32 = dir.File("f32.gguf"), quantised = dir.File("q.gguf"), dq = dir.File("dq.gguf");
        GgufCheckpointWriter.Write(f32, c, w, TensorDType.F32);
        LlamaCppReference.Quantize(f32, quantised, ftype);
        Dictionary<string, float[]> dequantised;
        using (var ck = CheckpointLoader.Open(quantised))
        {
            var stored = ck.Tensors.Tensors.Values.Select(t => t.DType.ToString()).ToHashSet();
            foreach (var t in types.Split(',')) Assert.Contains(t, stored);
            dequantised = ck.Tensors.Tensors.Keys.ToDictionary(k => k, k =>
            {
                var v = new float[ck.Tensors.Tensors[k].ElementCount];
                ck.Tensors.ReadF32(k, v);
                return v;
            });
        }
        GgufCheckpointWriter.Write(dq, c, dequantised, TensorDType.F32);
        var ours = OurLogits(quantised, Tokens);
        float[] theirsQuantised, theirsExact;
        using (var reference = LlamaCppReference.Load(quantised, threads: 2, contextSize: 64)) theirsQuantised = reference.LastLogits(Tokens);
        using (var reference = LlamaCppReference.Load(dq, threads: 2, contextSize: 64)) theirsExact = reference.LastLogits(Tokens);
        AssertMatches(ours, theirsExact, $"ftype {ftype} vs llama.cpp on the dequantised values");
        var (ownRounding, _) = Compare(theirsExact, theirsQuantised);
        var (diff, scale) = Compare(ours, theirsQuantised);
        Assert.True(ownRounding > 1e-3f * scale, "llama.cpp's activation rounding should show");
        Assert.True(diff <= 1.25f * ownRounding, $"ftype {ftype}: ours vs llama.cpp {diff:g3}, llama.cpp's activation rounding {ownRounding:g3} (scale {scale:g3})");

        // A path with a skip and repeats, and generated tokens, on the quantised model = the same on an f32 file of its
        // dequantised values (the quantised kernels dequantise a row chunk at a time, so sums round a little differently).
        var path = LayerPath.Parse("0,0,2,2", c.NumLayers);
        float[] Generate(string file, bool map)
        {
            using var m = Decoder.Load(file, threads: 2, map);
            using var s = m.CreateSession();
            var outs = new List<float>(s.Prefill(Tokens, path).ToArray());
            foreach (int t in new[] { 3, 7, 9 }) outs.AddRange(s.DecodeStep(t).ToArray());
            return [.. outs];
        }
        var q = Generate(quantised, map: false);
        (diff, scale) = Compare(q, Generate(dq, map: false));
        Assert.True(diff <= 1e-5f * scale, $"quantised vs dequantised f32: {diff} (scale {scale})");
        Assert.Equal(q, Generate(quantised, map: true));
    }

    [Theory]
    [InlineData(TensorDType.F16, 1e-2f)]
    [InlineData(TensorDType.BF16, 2e-2f)]
    public void Reduced_precision_weights_stay_close_to_llama_cpp(TensorDType dtype, float tol)
    {
        // llama.cpp rounds activations to the weight type before each product; we keep activations in f32, so the two
        // agree to the weight type's precision, not to f32's.
        var c = RandomModels.TinyLlamaGqa;
        using var dir = new TempDir();
        var file = dir.File("m.gguf");
        GgufCheckpointWriter.Write(file, c, RandomModels.RandomWeights(c, seed: 15, scale: 0.1f), dtype);
        using var reference = LlamaCppReference.Load(file, threads: 2, contextSize: 64);
        AssertMatches(OurLogits(file, Tokens), reference.LastLogits(Tokens), dtype.ToString(), tol);
    }

    [Fact]
    public void Q8_0_weights_written_by_us_run_as_their_dequantised_f32_values()
    {
        var c = RandomModels.TinyLlamaGqa; // rows of 64 and 96: whole Q8_0 blocks
        var w = RandomModels.RandomWeights(c, seed: 16, scale: 0.1f);
        using var dir = new TempDir();
        GgufCheckpointWriter.Write(dir.File("q8.gguf"), c, w, TensorDType.Q8_0);
        Dictionary<string, float[]> dequantised;
        using (var ckpt = CheckpointLoader.Open(dir.File("q8.gguf")))
            dequantised = ckpt.Tensors.Tensors.Keys.ToDictionary(k => k, k =>
            {
                var v = new float[ckpt.Tensors.Tensors[k].ElementCount];
                ckpt.Tensors.ReadF32(k, v);
                return v;
            });
        GgufCheckpointWriter.Write(dir.File("f32.gguf"), c, dequantised, TensorDType.F32);
        // The Q8_0 dot product sums each block's 32 products before scaling them by its d (as ggml does), the f32 one
        // sums scaled values: equal to f32 rounding, not bit for bit.
        var (diff, scale) = Compare(OurLogits(dir.File("q8.gguf"), Tokens), OurLogits(dir.File("f32.gguf"), Tokens));
        Assert.True(diff <= 1e-5f * scale, $"Q8_0 vs its dequantised f32 values: {diff} (scale {scale})");
        using var reference = LlamaCppReference.Load(dir.File("q8.gguf"), threads: 2, contextSize: 64);
        AssertMatches(OurLogits(dir.File("q8.gguf"), Tokens), reference.LastLogits(Tokens), "Q8_0", 5e-2f);
    }
}
