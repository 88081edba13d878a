using System.Text.Json;
using System.Text.Json.Nodes;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary><c>drllm eval --instruct</c>: prompts rendered with the model's chat template, or a one-line refusal without one.</summary>
public sealed class EvalInstructCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eval-instruct").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Eval_instruct_renders_the_chat_template_of_the_model()
    {
        // The demo model with a chat template added to its tokenizer_config.json.
        foreach (var f in Directory.GetFiles(RepoPaths.DemoModel)) File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        string configPath = Path.Combine(_dir, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";
        File.WriteAllText(configPath, config.ToJsonString());

        var (code, output, err) = DrllmProcess.Run("eval", "--model", _dir, "--task", "mcq", "--n", "2", "--instruct", "--show", "1", "--threads", "1");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("instruct", json.GetProperty("prompts").GetString());
        Assert.Equal(2, json.GetProperty("n").GetInt32());
        Assert.Contains("[user] ", err); // --show prints the rendered prompt
        Assert.Contains("Answer with the letter of the correct option. [assistant]", err);
    }

    [Fact]
    public void Eval_instruct_on_a_model_without_a_chat_template_is_a_one_line_error()
    {
        var (code, output, err) = DrllmProcess.Run("eval", "--model", RepoPaths.DemoModel, "--task", "arith", "--n", "2", "--instruct");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("chat template", err);
    }
}
