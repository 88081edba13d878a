using DrLlm.Tests.Shared;
using System.Diagnostics;
using System.Text.Json;
using DrLlm.Engine.Tests.Formats;

namespace DrLlm.Engine.Tests.Text;

/// <summary>drllm tokenize / detokenize / bench tokenizer / generate --prompt, run as a process.</summary>
public class TextCliTests
{
    private static (int Code, string Out, string Err) Drllm(params string[] args) => DrllmProcess.Run(args);

    [Fact]
    public void Tokenize_and_detokenize_round_trip_and_errors_are_one_line()
    {
        var tok = VocabCases.TokenizerJson("qwen3");
        var (code, output, _) = Drllm("tokenize", "--tokenizer", tok, "--text", "<|im_start|>user Hi");
        Assert.Equal(0, code);
        Assert.Equal([151644, 872, 21018], JsonSerializer.Deserialize<int[]>(output)!);
        (code, output, _) = Drllm("detokenize", "--tokenizer", tok, "--ids", "151644,872,21018");
        Assert.Equal((0, "<|im_start|>user Hi"), (code, output.TrimEnd('\n')));
        (code, output, var err) = Drllm("detokenize", "--tokenizer", tok, "--ids", "1,x");
        Assert.Equal(1, code);
        Assert.Equal("error: --ids: item 1 ('x') is not an integer", err.Trim());
    }

    [Fact]
    public void Bench_tokenizer_prints_one_json_line_and_generate_takes_a_prompt()
    {
        var (code, output, _) = Drllm("bench", "tokenizer", "--tokenizer", VocabCases.Gguf("llama-bpe"), "--mb", "0.05");
        Assert.Equal(0, code);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("mb_s").GetDouble() > 0);

        using var dir = new TempDir();
        var model = dir.File("m.gguf");
        Assert.Equal(0, Drllm("init-model", "--out", model, "--shape", "custom", "--vocab", "300").Code);
        (code, output, var err) = Drllm("generate", "--model", model, "--prompt", "Hello", "--max-new-tokens", "3");
        Assert.True(code == 0, err);
        Assert.NotEmpty(output.TrimEnd('\n'));
        (code, _, err) = Drllm("generate", "--model", model, "--max-new-tokens", "3");
        Assert.Equal(1, code);
        Assert.Contains("exactly one of --tokens and --prompt", err);
    }
}
