using System.Text;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Formats;

public class HfCheckpointErrorTests
{
    static string WriteGood(TempDir dir, long? maxShardBytes = null)
    {
        var config = TinyModels.Config(Architecture.Llama);
        HfCheckpointWriter.Write(dir.Path, config, TinyModels.Tensors(config), TensorDType.F16, maxShardBytes);
        return dir.File(HfCheckpoint.SingleFile);
    }

    /// <summary>Replaces the JSON header of a safetensors file, keeping its data buffer.</summary>
    static void RewriteHeader(string path, Func<string, string> edit)
    {
        var bytes = File.ReadAllBytes(path);
        int n = (int)BitConverter.ToUInt64(bytes);
        var json = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(bytes, 8, n).TrimEnd()));
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. bytes[(8 + n)..]]);
    }

    static ModelFormatException OpenFails(TempDir dir, params string[] mentions)
    {
        var e = Assert.Throws<ModelFormatException>(() => CheckpointLoader.Open(dir.Path).Dispose());
        foreach (var m in mentions) Assert.Contains(m, e.Message);
        Assert.DoesNotContain("\n", e.Message);
        return e;
    }

    [Fact]
    public void Header_length_past_end_of_file()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        var bytes = File.ReadAllBytes(file);
        BitConverter.GetBytes((ulong)bytes.Length).CopyTo(bytes, 0);
        File.WriteAllBytes(file, bytes);
        OpenFails(dir, file, "header length");
    }

    [Fact]
    public void Truncated_data_names_the_tensor()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length - 10)]);
        OpenFails(dir, file, "model.layers.1.mlp.down_proj.weight", "out of range"); // the last tensor in the file
    }

    [Fact]
    public void Every_truncation_is_a_format_error()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        var bytes = File.ReadAllBytes(file);
        int headerEnd = 8 + (int)BitConverter.ToUInt64(bytes);
        for (int len = 0; len < headerEnd + 16; len++)
        {
            File.WriteAllBytes(file, bytes[..len]);
            OpenFails(dir, file);
        }
    }

    [Fact]
    public void Unknown_dtype_names_the_tensor_and_dtype()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        RewriteHeader(file, h => h.Replace("\"model.norm.weight\":{\"dtype\":\"F16\"", "\"model.norm.weight\":{\"dtype\":\"I8\""));
        OpenFails(dir, file, "model.norm.weight", "'I8'");
    }

    [Fact]
    public void Byte_length_must_match_shape_and_dtype()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        RewriteHeader(file, h => h.Replace("\"model.norm.weight\":{\"dtype\":\"F16\"", "\"model.norm.weight\":{\"dtype\":\"F32\""));
        OpenFails(dir, file, "model.norm.weight", "expected 256");
    }

    [Fact]
    public void Duplicate_and_overlapping_tensors_are_rejected()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        RewriteHeader(file, h => h.Replace("{\"__metadata__\"", "{\"model.norm.weight\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},\"__metadata__\""));
        OpenFails(dir, file, "model.norm.weight", "twice");

        using var dir2 = new TempDir();
        file = WriteGood(dir2);
        RewriteHeader(file, h => h.Replace("{\"__metadata__\"", "{\"extra\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]},\"__metadata__\""));
        OpenFails(dir2, file, "extra", "overlap");
    }

    [Fact]
    public void Malformed_json_header()
    {
        using var dir = new TempDir();
        string file = WriteGood(dir);
        RewriteHeader(file, h => h[..^5]);
        OpenFails(dir, file, "JSON");
    }

    [Fact]
    public void Missing_tensor_and_shape_mismatch_against_config()
    {
        using var dir = new TempDir();
        WriteGood(dir);
        string configPath = dir.File("config.json");
        string original = File.ReadAllText(configPath);
        File.WriteAllText(configPath, original.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        OpenFails(dir, dir.Path, "missing tensor 'model.layers.2.input_layernorm.weight'", "[64]");
        File.WriteAllText(configPath, original.Replace("\"intermediate_size\": 96", "\"intermediate_size\": 128"));
        OpenFails(dir, dir.Path, "model.layers.0.mlp.gate_proj.weight", "[96, 64]", "expected [128, 64]");
    }

    [Theory]
    [InlineData("\"architectures\": [\n    \"LlamaForCausalLM\"\n  ]", "\"architectures\": [\"MistralForCausalLM\"]", "MistralForCausalLM")]
    [InlineData("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}", "yarn")]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": \"big\"", "hidden_size")]
    [InlineData("\"vocab_size\": 300,", "", "vocab_size")]
    [InlineData("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3", "num_key_value_heads")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "gelu")]
    public void Bad_config_names_the_field(string from, string to, string mention)
    {
        using var dir = new TempDir();
        WriteGood(dir);
        string configPath = dir.File("config.json");
        string text = File.ReadAllText(configPath);
        Assert.Contains(from, text);
        File.WriteAllText(configPath, text.Replace(from, to));
        OpenFails(dir, configPath, mention);
    }

    [Fact]
    public void Missing_shard_is_named()
    {
        using var dir = new TempDir();
        WriteGood(dir, maxShardBytes: 40_000);
        var shard = Directory.GetFiles(dir.Path, "model-00002-of-*.safetensors").Single();
        File.Delete(shard);
        OpenFails(dir, Path.GetFileName(shard), "missing");
    }

    [Fact]
    public void Loader_rejects_bad_magic_and_missing_paths()
    {
        using var dir = new TempDir();
        string junk = dir.File("model.bin");
        File.WriteAllText(junk, "PK\u0003\u0004 not a checkpoint");
        var e = Assert.Throws<ModelFormatException>(() => CheckpointLoader.Open(junk));
        Assert.Contains(junk, e.Message);
        Assert.Contains("GGUF", e.Message);

        string nowhere = dir.File("nope.gguf");
        e = Assert.Throws<ModelFormatException>(() => CheckpointLoader.Open(nowhere));
        Assert.Contains(nowhere, e.Message);

        e = Assert.Throws<ModelFormatException>(() => CheckpointLoader.Open(dir.Path)); // empty directory
        Assert.Contains("config.json", e.Message);

        File.WriteAllBytes(dir.File("empty.gguf"), []);
        Assert.Throws<ModelFormatException>(() => CheckpointLoader.Open(dir.File("empty.gguf")));
        File.WriteAllBytes(dir.File("short.gguf"), "GGUF"u8.ToArray());
        e = Assert.Throws<ModelFormatException>(() => CheckpointLoader.Open(dir.File("short.gguf")));
        Assert.Contains("short.gguf", e.Message);
    }
}
