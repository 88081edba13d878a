using DrLlm.Tests.Shared;

namespace DrLlm.Engine.Tests.Cli;

/// <summary>
/// Issue 16, "never hangs": generate with a token budget past the model's context used to run (growing its cache) until
/// memory ran out when no stop token came; it is refused up front in one line.
/// </summary>
public class GenerateBoundsTests
{
    [Fact]
    public void A_budget_past_the_models_context_is_refused_before_generating()
    {
        // The demo model has 256 positions.
        var (code, output, err) = DrllmProcess.Run("generate", "--model", RepoPaths.DemoModel, "--tokens", "1,2",
            "--max-new-tokens", "100000000", "--stop", "9999", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("error: the prompt (2 tokens) and --max-new-tokens (100000000) exceed the model's context of 256 positions", err.Trim());

        (code, output, err) = DrllmProcess.Run("generate", "--model", RepoPaths.DemoModel, "--tokens", "1,2",
            "--max-new-tokens", "254", "--stop", "9999", "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Equal(254, System.Text.Json.JsonDocument.Parse(output).RootElement.GetArrayLength());
    }
}
