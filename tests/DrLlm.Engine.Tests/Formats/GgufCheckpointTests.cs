using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Formats;

public class GgufCheckpointTests
{
    public static TheoryData<Architecture, TensorDType> Cases()
    {
        var d = new TheoryData<Architecture, TensorDType>();
        foreach (var a in Enum.GetValues<Architecture>())
            foreach (var t in new[] { TensorDType.F32, TensorDType.F16, TensorDType.BF16, TensorDType.Q8_0 }) d.Add(a, t); // what the writer writes
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Written_checkpoint_reads_back_within_dtype_precision(Architecture arch, TensorDType dtype)
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(arch);
        var tensors = TinyModels.Tensors(config);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, tensors, dtype);

        using var ck = GgufCheckpoint.Open(path);
        Assert.Equal("gguf", ck.Format);
        AssertSameConfig(config, ck.Config);
        Assert.Equal(tensors.Keys.Order(), ck.Tensors.Tensors.Keys.Order());
        foreach (var (name, data) in tensors)
        {
            var info = ck.Tensors.Tensors[name];
            var stored = info.Shape.Length == 1 ? TensorDType.F32 : dtype; // norms and biases stay f32
            Assert.Equal(stored, info.DType);
            TinyModels.AssertClose(data, TinyModels.Read(ck.Tensors, name), stored, name);
        }
    }

    internal static void AssertSameConfig(ModelConfig expected, ModelConfig actual)
    {
        Assert.Equal(expected.Architecture, actual.Architecture);
        Assert.Equal(expected.HiddenSize, actual.HiddenSize);
        Assert.Equal(expected.IntermediateSize, actual.IntermediateSize);
        Assert.Equal(expected.NumLayers, actual.NumLayers);
        Assert.Equal(expected.NumHeads, actual.NumHeads);
        Assert.Equal(expected.NumKvHeads, actual.NumKvHeads);
        Assert.Equal(expected.VocabSize, actual.VocabSize);
        Assert.Equal(expected.HeadDim, actual.HeadDim);
        Assert.Equal(expected.RmsNormEps, actual.RmsNormEps);
        Assert.Equal(expected.RopeTheta, actual.RopeTheta);
        Assert.Equal(expected.TieWordEmbeddings, actual.TieWordEmbeddings);
        Assert.Equal(expected.MaxPositionEmbeddings, actual.MaxPositionEmbeddings);
        Assert.Equal(expected.BosTokenId, actual.BosTokenId);
        Assert.Equal(expected.EosTokenIds, actual.EosTokenIds);
        Assert.Equal(expected.AttentionBias, actual.AttentionBias);
        Assert.Equal(expected.QkNorm, actual.QkNorm);
    }

    [Fact]
    public void Llama_q_and_k_are_stored_permuted_and_read_back_in_hf_layout()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Llama);
        var tensors = TinyModels.Tensors(config);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, tensors, TensorDType.F32);

        var hfK = tensors["model.layers.0.self_attn.k_proj.weight"];
        using (var f = GgufFile.Open(path))
        {
            var raw = new float[hfK.Length];
            f.ReadF32(f.Get("blk.0.attn_k.weight"), raw);
            // Head 0, head_dim 16: GGUF rows 0,1,2 are HF rows 0,8,1 (pairs (x_i, x_{i+8}) made adjacent).
            int cols = config.HiddenSize;
            Assert.Equal(hfK.AsSpan(0, cols).ToArray(), raw.AsSpan(0, cols).ToArray());
            Assert.Equal(hfK.AsSpan(8 * cols, cols).ToArray(), raw.AsSpan(1 * cols, cols).ToArray());
            Assert.Equal(hfK.AsSpan(1 * cols, cols).ToArray(), raw.AsSpan(2 * cols, cols).ToArray());
        }
        using var ck = GgufCheckpoint.Open(path);
        Assert.Equal(hfK, TinyModels.Read(ck.Tensors, "model.layers.0.self_attn.k_proj.weight"));
        unsafe
        {
            // K's rows need un-permuting, so it is not usable in place; ReadStored gives the HF row order.
            Assert.True(ck.Tensors.TryMap("model.layers.0.self_attn.k_proj.weight") == null);
            var k = new float[hfK.Length];
            fixed (float* pk = k) ck.Tensors.ReadStored("model.layers.0.self_attn.k_proj.weight", (byte*)pk);
            Assert.Equal(hfK, k);
            float* v = (float*)ck.Tensors.TryMap("model.layers.0.self_attn.v_proj.weight");
            Assert.True(v != null);
            Assert.Equal(tensors["model.layers.0.self_attn.v_proj.weight"][5], v[5]);
        }
    }

    [Fact]
    public void Q8_0_falls_back_to_f16_for_rows_that_are_not_whole_blocks()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Llama) with { IntermediateSize = 80 }; // down_proj rows of 80
        var tensors = TinyModels.Tensors(config);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, tensors, TensorDType.Q8_0);
        using var ck = GgufCheckpoint.Open(path);
        Assert.Equal(TensorDType.F16, ck.Tensors.Tensors["model.layers.0.mlp.down_proj.weight"].DType);
        Assert.Equal(TensorDType.Q8_0, ck.Tensors.Tensors["model.layers.0.mlp.up_proj.weight"].DType);
        TinyModels.AssertClose(tensors["model.layers.0.mlp.down_proj.weight"],
            TinyModels.Read(ck.Tensors, "model.layers.0.mlp.down_proj.weight"), TensorDType.F16, "down_proj");
    }

    [Fact]
    public void Permute_then_unpermute_is_the_identity()
    {
        int heads = 3, headDim = 8, cols = 5;
        var x = Enumerable.Range(0, heads * headDim * cols).Select(i => (float)i).ToArray();
        var p = new float[x.Length];
        var back = new float[x.Length];
        GgufTensorNames.PermuteForGguf(x, p, heads, cols);
        Assert.NotEqual(x, p);
        GgufTensorNames.UnpermuteFromGguf(p, back, heads, cols);
        Assert.Equal(x, back);
    }

    [Fact]
    public void Qwen_q_and_k_are_not_permuted()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Qwen2);
        var tensors = TinyModels.Tensors(config);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, tensors, TensorDType.F32);
        using var f = GgufFile.Open(path);
        var raw = new float[tensors["model.layers.1.self_attn.q_proj.weight"].Length];
        f.ReadF32(f.Get("blk.1.attn_q.weight"), raw);
        Assert.Equal(tensors["model.layers.1.self_attn.q_proj.weight"], raw);
    }

    [Fact]
    public void Tied_embeddings_write_no_output_tensor()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Qwen3, tied: true);
        var tensors = TinyModels.Tensors(config);
        tensors[CheckpointSchema.LmHead] = tensors[CheckpointSchema.Embeddings]; // as a PyTorch state dict has it
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, tensors, TensorDType.BF16);
        using (var f = GgufFile.Open(path)) Assert.Null(f.Find("output.weight"));
        using var ck = GgufCheckpoint.Open(path);
        Assert.True(ck.Config.TieWordEmbeddings);
        Assert.False(ck.Tensors.Tensors.ContainsKey(CheckpointSchema.LmHead));
    }

    [Fact]
    public void Llama3_rope_scaling_becomes_rope_freqs_and_comes_back_as_factors()
    {
        using var dir = new TempDir();
        var scaling = new RopeScaling(8f, 1f, 4f, 8192);
        var config = TinyModels.Config(Architecture.Llama, scaling: scaling);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, TinyModels.Tensors(config), TensorDType.F16);
        using var ck = GgufCheckpoint.Open(path);
        var expected = RopeFrequencies.Llama3Factors(scaling, config.RopeTheta, config.HeadDim);
        Assert.Equal(expected, ck.Config.RopeFreqFactors);
        Assert.False(ck.Tensors.Tensors.ContainsKey(GgufTensorNames.RopeFreqs));
        Assert.Equal(RopeFrequencies.Compute(config), RopeFrequencies.Compute(ck.Config));
    }

    [Fact]
    public void Placeholder_vocabulary_is_what_llama_cpp_needs()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Llama);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, TinyModels.Tensors(config), TensorDType.F32);
        using var f = GgufFile.Open(path);
        Assert.Equal("llama", f.GetString("tokenizer.ggml.model"));
        var v = GgufVocab.Read(f)!;
        Assert.Equal(config.VocabSize, v.Tokens.Count);
        Assert.Equal(v.Tokens.Count, v.Tokens.Distinct().Count()); // llama.cpp asserts unique texts
        Assert.Equal(1, v.BosTokenId);
        Assert.Equal(2, v.EosTokenId);
        Assert.Equal("<s>", v.Tokens[1]);
        Assert.Equal("<0x0A>", v.Tokens[3 + 10]); // SPM linefeed lookup
        Assert.Equal(GgufVocab.Byte, v.TokenTypes[13]);
        Assert.All(v.Tokens, t => Assert.NotEmpty(t));
        Assert.Equal(2u, f.Metadata["llama.block_count"]);
        Assert.Equal(16u, f.Metadata["llama.rope.dimension_count"]);
        Assert.Equal(0u, f.Metadata["general.file_type"]);
    }
}
