using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Formats;

public class HfCheckpointTests
{
    public static TheoryData<Architecture, TensorDType, bool> Cases()
    {
        var d = new TheoryData<Architecture, TensorDType, bool>();
        foreach (var a in Enum.GetValues<Architecture>())
            foreach (var t in new[] { TensorDType.F32, TensorDType.F16, TensorDType.BF16 })
                foreach (bool sharded in new[] { false, true }) d.Add(a, t, sharded);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Written_checkpoint_reads_back_within_dtype_precision(Architecture arch, TensorDType dtype, bool sharded)
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(arch, scaling: arch == Architecture.Llama ? new RopeScaling(32f, 1f, 4f, 8192) : null);
        var tensors = TinyModels.Tensors(config);
        HfCheckpointWriter.Write(dir.Path, config, tensors, dtype, sharded ? 40_000 : null);

        Assert.Equal(sharded, File.Exists(dir.File(HfCheckpoint.IndexFile)));
        if (sharded) Assert.True(Directory.GetFiles(dir.Path, "model-*-of-*.safetensors").Length > 2);
        using var ck = CheckpointLoader.Open(dir.Path);
        Assert.Equal("safetensors", ck.Format);
        GgufCheckpointTests.AssertSameConfig(config, ck.Config);
        Assert.Equal(config.RopeScaling, ck.Config.RopeScaling);
        Assert.Equal(tensors.Keys.Order(), ck.Tensors.Tensors.Keys.Order());
        foreach (var (name, data) in tensors)
        {
            Assert.Equal(dtype, ck.Tensors.Tensors[name].DType);
            TinyModels.AssertClose(data, TinyModels.Read(ck.Tensors, name), dtype, name);
        }
        unsafe
        {
            // Stored bytes are usable in place in every type; ReadStored copies the same bytes.
            byte* p = ck.Tensors.TryMap(CheckpointSchema.FinalNorm);
            Assert.True(p != null);
            long bytes = Numerics.ByteSize(dtype, tensors[CheckpointSchema.FinalNorm].Length);
            var copy = new byte[bytes];
            fixed (byte* c = copy) ck.Tensors.ReadStored(CheckpointSchema.FinalNorm, c);
            Assert.Equal(new ReadOnlySpan<byte>(p, (int)bytes).ToArray(), copy);
            var back = new float[tensors[CheckpointSchema.FinalNorm].Length];
            Numerics.ToF32(dtype, p, back);
            Assert.Equal(TinyModels.Read(ck.Tensors, CheckpointSchema.FinalNorm), back);
        }
    }

    [Theory]
    [InlineData(Architecture.Llama)]
    [InlineData(Architecture.Qwen2)]
    [InlineData(Architecture.Qwen3)]
    public void Gguf_and_hf_written_from_the_same_tensors_read_back_identical(Architecture arch)
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(arch, tied: arch == Architecture.Qwen3);
        var tensors = TinyModels.Tensors(config);
        string hfDir = dir.File("hf"), gguf = dir.File("m.gguf");
        HfCheckpointWriter.Write(hfDir, config, tensors, TensorDType.BF16);
        GgufCheckpointWriter.Write(gguf, config, tensors, TensorDType.BF16);
        using var hf = CheckpointLoader.Open(hfDir);
        using var gg = CheckpointLoader.Open(gguf);
        GgufCheckpointTests.AssertSameConfig(hf.Config, gg.Config);
        Assert.Equal(hf.Tensors.Tensors.Keys.Order(), gg.Tensors.Tensors.Keys.Order());
        foreach (var name in hf.Tensors.Tensors.Keys)
        {
            var a = TinyModels.Read(hf.Tensors, name);
            var b = TinyModels.Read(gg.Tensors, name);
            if (hf.Tensors.Tensors[name].Shape.Length == 1)
                TinyModels.AssertClose(a, b, TensorDType.BF16, name); // GGUF keeps 1-D tensors f32
            else
                Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Real_llama_3_2_config_is_understood()
    {
        using var dir = new TempDir();
        // Field set of meta-llama/Llama-3.2-1B config.json (sizes shrunk).
        File.WriteAllText(dir.File("config.json"), """
        {
          "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
          "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
          "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072,
          "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
          "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
          "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
          "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256
        }
        """);
        var c = HfConfigJson.Read(dir.File("config.json"));
        Assert.Equal(Architecture.Llama, c.Architecture);
        Assert.Equal((2048, 8192, 16, 32, 8, 64, 128256), (c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.VocabSize));
        Assert.Equal(new RopeScaling(32f, 1f, 4f, 8192), c.RopeScaling);
        Assert.Equal(1e-5f, c.RmsNormEps);
        Assert.Equal(500000f, c.RopeTheta);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(128000, c.BosTokenId);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
    }

    [Fact]
    public void Qwen_configs_give_their_flags_and_defaults()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """
        {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
         "num_attention_heads": 4, "vocab_size": 300, "rope_scaling": null, "eos_token_id": 7}
        """);
        var c = HfConfigJson.Read(dir.File("config.json"));
        Assert.True(c.AttentionBias);
        Assert.False(c.QkNorm);
        Assert.Equal(4, c.NumKvHeads);        // default: num_attention_heads
        Assert.Equal(16, c.HeadDim);          // default: hidden / heads
        Assert.Equal(10000f, c.RopeTheta);
        Assert.False(c.TieWordEmbeddings);
        Assert.Null(c.BosTokenId);
        Assert.Equal([7], c.EosTokenIds);

        File.WriteAllText(dir.File("config.json"), """
        {"architectures": ["Qwen3ForCausalLM"], "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 300,
         "rope_scaling": {"rope_type": "default"}, "tie_word_embeddings": true}
        """);
        c = HfConfigJson.Read(dir.File("config.json"));
        Assert.True(c.QkNorm);
        Assert.False(c.AttentionBias);
        Assert.Equal(128, c.QDim);
        Assert.Null(c.RopeScaling);
    }
}
