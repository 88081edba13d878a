using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Formats;

public class GgufCheckpointErrorTests
{
    /// <summary>A valid tiny llama GGUF copied with one change: metadata edited, a tensor dropped or reshaped.</summary>
    static string Variant(TempDir dir, Action<Dictionary<string, object>>? editMetadata = null,
        Func<GgufTensor, (long[] Shape, float[] Data)?>? editTensor = null)
    {
        var config = TinyModels.Config(Architecture.Llama);
        string good = dir.File("good.gguf");
        GgufCheckpointWriter.Write(good, config, TinyModels.Tensors(config), TensorDType.F32);
        string bad = dir.File("bad.gguf");
        using var f = GgufFile.Open(good);
        var metadata = f.Metadata.ToDictionary();
        editMetadata?.Invoke(metadata);
        var w = new GgufWriter();
        foreach (var (k, v) in metadata) w.Add(k, v);
        foreach (var t in f.Tensors)
        {
            var data = new float[t.ElementCount];
            f.ReadF32(t, data);
            var edited = editTensor is null ? (t.Shape, data) : editTensor(t);
            if (edited is { } e) w.AddTensor(t.Name, e.Shape, t.DType, e.Data);
        }
        w.Write(bad);
        return bad;
    }

    [Fact]
    public void Unsupported_architecture_names_it_and_the_file()
    {
        using var dir = new TempDir();
        string path = Variant(dir, m => m["general.architecture"] = "gpt2");
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpoint.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'gpt2'", e.Message);
    }

    [Fact]
    public void Missing_tensor_names_both_names_and_the_file()
    {
        using var dir = new TempDir();
        string path = Variant(dir, editTensor: t => t.Name == "blk.1.ffn_down.weight" ? null : (t.Shape, new float[t.ElementCount]));
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpoint.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message);
        Assert.Contains("blk.1.ffn_down.weight", e.Message);
        Assert.Contains("[64, 96]", e.Message);
    }

    [Fact]
    public void Shape_mismatch_names_the_found_and_expected_shapes()
    {
        using var dir = new TempDir();
        string path = Variant(dir, editTensor: t => t.Name == "blk.0.attn_v.weight" ? ([64, 64], new float[64 * 64]) : (t.Shape, new float[t.ElementCount]));
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpoint.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("v_proj", e.Message);
        Assert.Contains("[64, 64]", e.Message);
        Assert.Contains("expected [32, 64]", e.Message);
    }

    [Fact]
    public void Missing_hyperparameter_names_the_key()
    {
        using var dir = new TempDir();
        string path = Variant(dir, m => m.Remove("llama.block_count"));
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpoint.Open(path));
        Assert.Contains("llama.block_count", e.Message);
    }

    [Fact]
    public void Wrong_metadata_type_names_the_key()
    {
        using var dir = new TempDir();
        string path = Variant(dir, m => m["llama.embedding_length"] = "sixty-four");
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpoint.Open(path));
        Assert.Contains("llama.embedding_length", e.Message);
    }

    [Fact]
    public void Truncated_checkpoint_is_a_format_error()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Qwen2);
        string path = dir.File("m.gguf");
        GgufCheckpointWriter.Write(path, config, TinyModels.Tensors(config), TensorDType.Q8_0);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpoint.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Writer_rejects_a_missing_tensor_and_a_wrong_length()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config(Architecture.Qwen3);
        var tensors = TinyModels.Tensors(config);
        tensors.Remove("model.layers.0.self_attn.q_norm.weight");
        var e = Assert.Throws<ModelFormatException>(() => GgufCheckpointWriter.Write(dir.File("a.gguf"), config, tensors, TensorDType.F16));
        Assert.Contains("model.layers.0.self_attn.q_norm.weight", e.Message);
        tensors = TinyModels.Tensors(config);
        tensors["model.norm.weight"] = new float[3];
        e = Assert.Throws<ModelFormatException>(() => GgufCheckpointWriter.Write(dir.File("a.gguf"), config, tensors, TensorDType.F16));
        Assert.Contains("model.norm.weight", e.Message);
    }
}
