using System.Text.Json;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary><c>drllm eval</c> reports each benchmark's metric: accuracy for letters and math, exact match and F1 for spans.</summary>
public sealed class EvalMetricCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("eval-metric").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Squad_v2_eval_prints_exact_match_and_the_mean_f1_of_its_items()
    {
        var data = Path.Combine(_dir, "squad.jsonl");
        File.WriteAllLines(data,
        [
            """{"id": "q1", "context": "Paris is in France.", "question": "Where is Paris?", "answers": {"text": ["France", "in France"], "answer_start": [12, 9]}}""",
            """{"id": "q2", "context": "Paris is in France.", "question": "Where is Rome?", "answers": {"text": [], "answer_start": []}}""",
            """{"id": "q3", "context": "The sky is blue.", "question": "What colour is the sky?", "answers": {"text": ["blue"], "answer_start": [11]}}""",
        ]);
        var itemsFile = Path.Combine(_dir, "items.jsonl");
        var (code, output, err) = DrllmProcess.Run("eval", "--model", RepoPaths.DemoModel, "--task", $"squadv2:{data}", "--n", "3", "--items", itemsFile, "--threads", "1");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(["exact_match", "f1"], json.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(json.GetProperty("accuracy").GetDouble(), json.GetProperty("exact_match").GetDouble());
        var items = File.ReadAllLines(itemsFile).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, items.Count);
        Assert.Equal(Math.Round(items.Average(i => i.GetProperty("f1").GetDouble()), 4), json.GetProperty("f1").GetDouble());
        Assert.Equal(Math.Round(items.Average(i => i.GetProperty("correct").GetBoolean() ? 1.0 : 0.0), 4), json.GetProperty("exact_match").GetDouble());
        Assert.All(items, i => Assert.InRange(i.GetProperty("f1").GetDouble(), 0, 1));
    }

    [Fact]
    public void Letter_tasks_keep_accuracy_and_print_no_f1()
    {
        var (code, output, err) = DrllmProcess.Run("eval", "--model", RepoPaths.DemoModel, "--task", "mcq", "--n", "2", "--threads", "1");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(["accuracy"], json.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("f1").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("exact_match").ValueKind);
        Assert.Equal(JsonValueKind.Number, json.GetProperty("accuracy").ValueKind);
    }
}
