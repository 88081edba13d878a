using System.Text.Json;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary><c>drllm skip-tolerance</c> on the shipped demo model: its figures are what <c>drllm eval --path</c> gives item by item.</summary>
public sealed class SkipToleranceCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skip-tolerance").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>The ids <c>drllm eval</c> answers right on arith's first 30 test items with <paramref name="path"/> (null: the default path).</summary>
    private HashSet<string> RightIds(string? path)
    {
        string items = Path.Combine(_dir, $"items-{path ?? "default"}.jsonl");
        var args = new List<string> { "eval", "--model", RepoPaths.DemoModel, "--task", "arith", "--n", "30", "--items", items, "--threads", "1" };
        if (path is not null) args.AddRange(["--path", path]);
        var (code, _, err) = DrllmProcess.Run([.. args]);
        Assert.True(code == 0, err);
        return File.ReadAllLines(items).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(i => i.GetProperty("correct").GetBoolean()).Select(i => i.GetProperty("id").GetString()!).ToHashSet();
    }

    [Fact]
    public void Shares_are_the_default_paths_right_answers_that_eval_with_the_skip_path_keeps()
    {
        var (code, output, err) = DrllmProcess.Run("skip-tolerance", "--model", RepoPaths.DemoModel, "--task", "arith", "--n", "30", "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Contains("skip l,l+1", err); // the table
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(8, json.GetProperty("num_blocks").GetInt32());
        var single = json.GetProperty("single_skip_kept_by_block").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var pairs = json.GetProperty("pair_skip_kept_by_first_block").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal((8, 7), (single.Length, pairs.Length));
        Assert.Equal(Math.Round(single.Average(), 4), json.GetProperty("single_skip_kept").GetDouble(), 3);
        Assert.Equal(Math.Round(pairs.Average(), 4), json.GetProperty("pair_skip_kept").GetDouble(), 3);

        var right = RightIds(null);
        Assert.True(right.Count > 3, $"the demo model answers only {right.Count} of 30 arith items right");
        Assert.Equal(right.Count, json.GetProperty("default_right").GetInt32());
        Assert.Equal(Math.Round(right.Count / 30.0, 4), json.GetProperty("default_accuracy").GetDouble());
        double Kept(string path) => Math.Round(right.Intersect(RightIds(path)).Count() / (double)right.Count, 4);
        Assert.Equal(Kept("0,2,3,4,5,6,7"), single[1]);   // block 1 skipped
        Assert.Equal(Kept("0,1,2,3,6,7"), pairs[4]);      // blocks 4 and 5 skipped
        Assert.Contains(single, s => s < 1); // the demo model has little room: not every skip keeps every answer
    }

    [Theory]
    [InlineData("--task", "nosuch", "unknown task 'nosuch'")]
    [InlineData("--n", "0", "--n must be ≥ 1")]
    [InlineData("--model", "/nonexistent/model", "/nonexistent/model")]
    public void Bad_input_is_a_one_line_error(string option, string value, string message)
    {
        var args = new Dictionary<string, string> { ["--model"] = RepoPaths.DemoModel, ["--task"] = "arith", ["--n"] = "2" };
        args[option] = value;
        var (code, output, err) = DrllmProcess.Run(["skip-tolerance", .. args.SelectMany(kv => new[] { kv.Key, kv.Value }), "--threads", "1"]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
