using DrLlm.Tests.Shared;
using System.Diagnostics;
using System.Text.Json;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;
using DrLlm.Engine.Tests.Reference;

namespace DrLlm.Engine.Tests.Cli;

/// <summary>
/// The command-line contract other tools depend on: output shapes of logits/generate/bench, and errors as one line on
/// stderr with a non-zero exit code and no stack trace. Runs the real drllm.dll (copied next to the tests) as a process.
/// </summary>
public class CliContractTests
{
    private static (int Code, string Out, string Err) Drllm(params string[] args) => DrllmProcess.Run(args);

    private static string WriteModel(TempDir dir, string name = "m.gguf")
    {
        var c = RandomModels.TinyLlamaGqa;
        var path = dir.File(name);
        GgufCheckpointWriter.Write(path, c, RandomModels.RandomWeights(c, seed: 3, scale: 0.1f), TensorDType.F32);
        return path;
    }

    [Fact]
    public void Logits_prints_one_json_array_equal_to_the_library_and_can_write_a_file()
    {
        using var dir = new TempDir();
        var model = WriteModel(dir);
        var (code, output, err) = Drllm("logits", "--model", model, "--tokens", "1,2,3", "--path", "0,1,1,2");
        Assert.True(code == 0, err);
        var logits = JsonSerializer.Deserialize<float[]>(output)!;
        using var m = Decoder.Load(model, 2);
        using var s = m.CreateSession();
        Assert.Equal(s.Prefill([1, 2, 3], LayerPath.Parse("0,1,1,2", 3)).ToArray(), logits);

        (code, _, err) = Drllm("logits", "--model", model, "--tokens", "1,2,3", "--out", dir.File("l.json"));
        Assert.True(code == 0, err);
        Assert.Equal(RandomModels.TinyLlamaGqa.VocabSize, JsonSerializer.Deserialize<float[]>(File.ReadAllText(dir.File("l.json")))!.Length);
    }

    [Fact]
    public void Generate_prints_the_new_token_ids()
    {
        using var dir = new TempDir();
        var model = WriteModel(dir);
        var (code, output, err) = Drllm("generate", "--model", model, "--tokens", "5,6,7", "--path", "0,2", "--max-new-tokens", "4", "--stop", "-1");
        Assert.True(code == 0, err);
        using var m = Decoder.Load(model, 2);
        using var s = m.CreateSession();
        var expected = Generation.Greedy(s, [5, 6, 7], LayerPath.Parse("0,2", 3), 4).Tokens;
        Assert.Equal(expected, JsonSerializer.Deserialize<int[]>(output));
    }

    [Fact]
    public void Bench_engine_prints_one_json_line_with_the_rates()
    {
        using var dir = new TempDir();
        var (code, output, err) = Drllm("bench", "engine", "--model", WriteModel(dir), "--prompt-tokens", "16", "--gen-tokens", "4", "--threads", "1", "--repeats", "1");
        Assert.True(code == 0, err);
        Assert.Single(output.Trim().Split('\n'));
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("prefill_tok_s").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("decode_tok_s").GetDouble() > 0);
    }

    [Fact]
    public void Init_model_writes_a_checkpoint_the_engine_loads()
    {
        using var dir = new TempDir();
        var (code, _, err) = Drllm("init-model", "--shape", "custom", "--arch", "qwen3", "--layers", "2", "--dtype", "bf16", "--out", dir.File("hf"));
        Assert.True(code == 0, err);
        using var m = Decoder.Load(dir.File("hf"));
        Assert.Equal(Architecture.Qwen3, m.Config.Architecture);
        Assert.Equal(2, m.Config.NumLayers);
        // a GGUF file in a folder that does not exist yet: the folder is made
        (code, _, err) = Drllm("init-model", "--shape", "custom", "--layers", "1", "--out", dir.File("new/folder/m.gguf"));
        Assert.True(code == 0, err);
        using var g = Decoder.Load(dir.File("new/folder/m.gguf"));
        Assert.Equal(1, g.Config.NumLayers);
    }

    [Theory]
    [InlineData("missing", "--tokens", "1,2", "no such file")]
    [InlineData("model", "--tokens", "1,x", "--tokens: item 1 ('x') is not an integer")]
    [InlineData("model", "--tokens", "1,999", "token 1 is 999")]
    [InlineData("model", "--path", "0,7", "layer path step 1 is block 7")]
    [InlineData("model", "--path", "2,1", "goes back")]
    [InlineData("truncated", "--tokens", "1", "truncated.gguf")]
    [InlineData("garbage", "--tokens", "1", "garbage.gguf")]
    public void Bad_input_exits_non_zero_with_one_line_naming_the_problem(string modelKind, string option, string value, string expected)
    {
        using var dir = new TempDir();
        var model = WriteModel(dir);
        File.WriteAllBytes(dir.File("truncated.gguf"), File.ReadAllBytes(model)[..5000]);
        File.WriteAllText(dir.File("garbage.gguf"), "this is not a model");
        var path = modelKind switch
        {
            "missing" => dir.File("missing.gguf"),
            "truncated" => dir.File("truncated.gguf"),
            "garbage" => dir.File("garbage.gguf"),
            _ => model,
        };
        var args = new List<string> { "logits", "--model", path, option, value };
        if (option != "--tokens") args.AddRange(["--tokens", "1,2"]);
        var (code, output, err) = Drllm([.. args]);
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        var lines = err.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotMatch(@"\bat [\w.`]+\(", lines[0]); // no stack frame
    }
}
