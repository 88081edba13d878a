using DrLlm.Tests.Shared;
using System.Diagnostics;
using System.Text.Json;

namespace DrLlm.Tasks.Tests;

/// <summary><c>drllm tasks …</c> as a process: JSON lines on stdout, one-line errors on stderr with exit code 1.</summary>
public class CliTests
{
    private static (int Code, string Out, string Err) Drllm(params string[] args) => DrllmProcess.Run(args);

    private static string[] Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void List_prints_a_table_or_json_lines()
    {
        var (code, output, err) = Drllm("tasks", "list", "--json");
        Assert.True(code == 0, err);
        var rows = Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var arith = rows.Single(r => r.GetProperty("name").GetString() == "arith");
        Assert.Equal("in", arith.GetProperty("domain").GetString());
        Assert.Equal("math", arith.GetProperty("grading").GetString());
        Assert.Equal("out", rows.Single(r => r.GetProperty("name").GetString() == "ood-order").GetProperty("domain").GetString());

        Assert.Equal("span", rows.Single(r => r.GetProperty("name").GetString() == "squadv2").GetProperty("grading").GetString());
        foreach (var name in new[] { "aime", "truthfulqa-mc1", "gpqa", "piqa", "agieval" })
            Assert.Equal("out", rows.Single(r => r.GetProperty("name").GetString() == name).GetProperty("domain").GetString());

        (code, output, _) = Drllm("tasks", "list");
        Assert.Equal(0, code);
        Assert.Contains("ood-count", output);
        Assert.Contains("truthfulqa-mc1:F", output);
    }

    [Fact]
    public void Sample_of_squad_v2_prints_the_passage_prompt_and_the_gold_answers()
    {
        using var dir = new TempDir();
        var f = dir.Write("squad.jsonl", """
            {"id": "q1", "context": "Paris is in France.", "question": "Where is Paris?", "answers": {"text": ["France", "in France"], "answer_start": [12, 9]}}
            {"id": "q2", "context": "Paris is in France.", "question": "Where is Rome?", "answers": {"text": [], "answer_start": []}}
            {"id": "q3", "context": "Paris is in France.", "question": "Broken?"}
            """);
        var (code, output, err) = Drllm("tasks", "sample", "--task", $"squadv2:{f}");
        Assert.Equal(1, code);
        Assert.Equal($"error: {f}:3: field 'answers': missing (an unanswerable question has answers.text = [])", err.Trim());
        (code, output, err) = Drllm("tasks", "sample", "--task", $"squadv2:{f}", "--skip-bad-rows");
        Assert.True(code == 0, err);
        var rows = Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, rows.Count);
        Assert.StartsWith("Passage: Paris is in France.\nQuestion: Where is Paris?\n", rows[0].GetProperty("prompt").GetString());
        Assert.Equal(["France", "in France"], rows[0].GetProperty("answers").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(("span", 32), (rows[0].GetProperty("grading").GetString(), rows[0].GetProperty("new_tokens").GetInt32()));
        Assert.Equal(0, rows[1].GetProperty("answers").GetArrayLength());
        Assert.Equal(" unanswerable\n", rows[1].GetProperty("completion").GetString());
        Assert.Contains("skipped 1 bad row", err);
    }

    [Fact]
    public void Sample_prints_items_as_json_lines()
    {
        var (code, output, err) = Drllm("tasks", "sample", "--task", "mcq", "--split", "train", "--n", "3", "--seed", "4");
        Assert.True(code == 0, err);
        var rows = Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, rows.Count);
        var expected = TaskRegistry.FindSynthetic("mcq")!.Item("train", 0, seed: 4);
        Assert.Equal(expected.Id, rows[0].GetProperty("id").GetString());
        Assert.Equal(Prompts.TaskPrompts.Base(expected), rows[0].GetProperty("prompt").GetString());
        Assert.Equal(expected.Gold, rows[0].GetProperty("gold").GetString());
        Assert.Equal(" " + expected.Gold + "\n", rows[0].GetProperty("completion").GetString());
        Assert.Equal(4, rows[0].GetProperty("choices").GetArrayLength());
        foreach (var key in new[] { "task", "split", "level", "grading", "source", "new_tokens" }) Assert.True(rows[0].TryGetProperty(key, out _), key);
    }

    [Fact]
    public void Sample_of_a_file_fails_on_a_bad_row_with_one_line_or_skips_it_when_asked()
    {
        using var dir = new TempDir();
        var f = dir.Write("arc.jsonl", """
            {"id": "1", "question": "Q?", "choices": {"text": ["a", "b"], "label": ["A", "B"]}, "answerKey": "A"}
            {"id": "2", "question": "Q?", "choices": {"text": ["a", "b"], "label": ["A", "B"]}}
            """);
        var (code, output, err) = Drllm("tasks", "sample", "--task", "arc", "--file", f);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {f}:2: field 'answerKey': missing", err.Trim());

        (code, output, err) = Drllm("tasks", "sample", "--task", $"arc:{f}", "--skip-bad-rows");
        Assert.Equal(0, code);
        Assert.Single(Lines(output));
        Assert.Contains("skipped 1 bad row", err);
    }

    [Fact]
    public void Sample_can_fix_the_level_of_a_synthetic_family_only()
    {
        var (code, output, err) = Drllm("tasks", "sample", "--task", "arith", "--level", "4", "--n", "5");
        Assert.True(code == 0, err);
        Assert.All(Lines(output), l => Assert.Equal(4, JsonDocument.Parse(l).RootElement.GetProperty("level").GetInt32()));
        (code, output, err) = Drllm("tasks", "sample", "--task", "mcq", "--level", "1-2", "--n", "20");
        Assert.True(code == 0, err);
        Assert.Equal([1, 2], Lines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("level").GetInt32()).Distinct().Order());
        (code, _, err) = Drllm("tasks", "sample", "--task", "mcq", "--level", "2-x");
        Assert.Equal(1, code);
        Assert.Contains("--level: expected a level or MIN-MAX, got '2-x'", err);
        (code, _, err) = Drllm("tasks", "sample", "--task", "mcq", "--level", "6-9");
        Assert.Equal(1, code);
        Assert.Contains("mcq: level range 6-9 is not within 1-7", err);

        using var dir = new TempDir();
        var f = dir.Write("d.jsonl", """{"query": "q", "gt_ans": "1"}""");
        (code, _, err) = Drllm("tasks", "sample", "--task", $"dart:{f}", "--level", "2");
        Assert.Equal(1, code);
        Assert.Contains("--level applies to synthetic families only", err);
    }

    [Fact]
    public void Unknown_task_is_one_line_on_stderr()
    {
        var (code, output, err) = Drllm("tasks", "sample", "--task", "nope");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(Lines(err));
        Assert.StartsWith("error: unknown task 'nope'", err);
    }
}
