using System.Text.Json.Nodes;
using DrLlm.Engine.Model;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary>
/// Issue 16, "silent damage": a search checkpoint, a search output or a router set made for another model (or
/// already finished) is refused in one line that names the mismatch, and the files stay byte for byte as they were.
/// </summary>
public sealed class StoredWorkRefusalTests : IDisposable
{
    private static readonly string Demo = RepoPaths.DemoModel;
    private readonly string _dir = Directory.CreateTempSubdirectory("drllm-refusal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertOneLineError((int Code, string Out, string Err) r, string expected)
    {
        Assert.True(r.Code == 1, $"exit {r.Code}\n{r.Out}\n{r.Err}");
        var lines = r.Err.Trim().Split('\n');
        Assert.True(lines.Length == 1, $"expected one line, got:\n{r.Err}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    /// <summary>A result line as drllm search writes it, for the demo model's 8 blocks unless told otherwise.</summary>
    private static string Line(string id, int[]? bestPath, int[]? labels, string prompt = "Q: 1+1=? A:") => new JsonObject
    {
        ["id"] = id, ["task"] = "arith", ["level"] = 1, ["prompt"] = prompt, ["default_correct"] = true,
        ["best_path"] = bestPath is null ? null : new JsonArray([.. bestPath.Select(b => (JsonNode)b)]), ["best_correct"] = bestPath is not null,
        ["labels"] = labels is null ? null : new JsonArray([.. labels.Select(b => (JsonNode)b)]),
        ["simulations"] = 3, ["paths_evaluated"] = 3, ["block_runs"] = 10, ["block_runs_saved"] = 0, ["wall_seconds"] = 0.1, ["stop_reason"] = "budget",
    }.ToJsonString();

    private static readonly int[] Full = [0, 1, 2, 3, 4, 5, 6, 7], Ones = [1, 1, 1, 1, 1, 1, 1, 1];

    private string[] SearchArgs(string outFile, string state, params string[] extra) =>
        ["search", "--model", Demo, "--task", "arith", "--split", "train", "--n", "2", "--simulations", "4", "--threads", "1",
         "--out", outFile, "--state", state, .. extra];

    /// <summary>A checkpoint in the CLI's envelope for the first arith train example, of a fresh search on <paramref name="numBlocks"/> blocks.</summary>
    private static string Checkpoint(int numBlocks, SearchOptions options, ulong seed)
    {
        var tree = new SearchTree(numBlocks, options, seed);
        return new JsonObject
        {
            ["example_id"] = FirstArithTrainId, ["seed"] = seed, ["block_runs"] = 0, ["block_runs_saved"] = 0, ["wall_seconds"] = 0.0,
            ["state"] = JsonNode.Parse(tree.State.ToJson()),
        }.ToJsonString();
    }

    private static string FirstArithTrainId => DrLlm.Tasks.TaskRegistry.Resolve("arith", null).Sample("train", 2, 0)[0].Id;

    [Fact]
    public void Search_resume_refuses_a_checkpoint_made_for_another_model_and_writes_nothing()
    {
        string outFile = Path.Combine(_dir, "out.jsonl"), state = Path.Combine(_dir, "state"), ckpt = Path.Combine(state, "current.json");
        Directory.CreateDirectory(state);
        var options = new SearchOptions { Simulations = 4 };
        File.WriteAllText(ckpt, Checkpoint(16, options, ExampleSearch.SeedFor(0, FirstArithTrainId)));
        var before = File.ReadAllBytes(ckpt);

        AssertOneLineError(DrllmProcess.Run(SearchArgs(outFile, state, "--resume")), "was made for a 16-block model; this model has 8 blocks");
        Assert.False(File.Exists(outFile) && new FileInfo(outFile).Length > 0, "nothing is written");
        Assert.Equal(before, File.ReadAllBytes(ckpt));

        // Same model, other settings or seed: another search than the one saved, refused the same way.
        File.WriteAllText(ckpt, Checkpoint(8, options with { Simulations = 9 }, ExampleSearch.SeedFor(0, FirstArithTrainId)));
        AssertOneLineError(DrllmProcess.Run(SearchArgs(outFile, state, "--resume")), "other search settings");
        File.WriteAllText(ckpt, Checkpoint(8, options, ExampleSearch.SeedFor(0, FirstArithTrainId)));
        AssertOneLineError(DrllmProcess.Run(SearchArgs(outFile, state, "--resume", "--seed", "3")), "pass the same --seed");

        // Without --resume the checkpoint is not overwritten either.
        AssertOneLineError(DrllmProcess.Run(SearchArgs(outFile, state)), "holds an interrupted search's checkpoint: pass --resume");
        Assert.True(File.Exists(ckpt));
    }

    [Theory]
    [InlineData("labels4", "'labels' must be 8 values")]
    [InlineData("block9", "'best_path' [0,1,9] is not a path of this 8-block model")]
    [InlineData("nobest", "lacks 'best_path'")]
    [InlineData("noid", "lacks 'id'")]
    public void Search_resume_refuses_an_out_file_with_lines_for_another_model_and_leaves_it_as_it_was(string kind, string expected)
    {
        string outFile = Path.Combine(_dir, "out.jsonl"), state = Path.Combine(_dir, "state");
        string bad = kind switch
        {
            "labels4" => Line("x", Full, [1, 1, 1, 1]),
            "block9" => Line("x", [0, 1, 9], [1, 1, 0, 0, 0, 0, 0, 0]),
            "nobest" => Line("x", Full, Ones).Replace("\"best_path\":[0,1,2,3,4,5,6,7],", ""),
            _ => Line("x", Full, Ones).Replace("\"id\":\"x\",", ""),
        };
        File.WriteAllText(outFile, Line("ok", Full, Ones) + "\n" + bad + "\n");
        var before = File.ReadAllBytes(outFile);

        var r = DrllmProcess.Run(SearchArgs(outFile, state, "--resume"));
        AssertOneLineError(r, expected);
        Assert.Contains($"{outFile}:2: ", r.Err);
        Assert.Equal(before, File.ReadAllBytes(outFile));
    }

    [Fact]
    public void Search_resume_refuses_an_out_file_of_another_task()
    {
        string outFile = Path.Combine(_dir, "out.jsonl"), state = Path.Combine(_dir, "state");
        File.WriteAllText(outFile, Line("ok", Full, Ones).Replace("\"task\":\"arith\"", "\"task\":\"mcq\"") + "\n");
        var before = File.ReadAllBytes(outFile);
        AssertOneLineError(DrllmProcess.Run(SearchArgs(outFile, state, "--resume")), $"{outFile}:1: a result for task 'mcq'; this run searches 'arith'");
        Assert.Equal(before, File.ReadAllBytes(outFile));
    }

    [Fact]
    public void A_label_line_without_a_best_path_is_named_by_file_and_line_not_a_null_reference()
    {
        string labels = Path.Combine(_dir, "labels.jsonl");
        File.WriteAllText(labels, Line("a", Full, Ones) + "\n" + Line("b", Full, Ones).Replace("[0,1,2,3,4,5,6,7]", "null") + "\n");
        var e = Assert.Throws<FormatException>(() => SearchResultLines.Read(labels, 8).ToList());
        Assert.Equal($"{labels}:2: 'best_path' and 'labels' must both be null (no correct path) or both be set", e.Message);
        // Labels that are not the best path's counts are a hand edit or another model's, never a search's.
        File.WriteAllText(labels, Line("a", Full, [1, 1, 1, 1, 1, 1, 1, 2]) + "\n");
        e = Assert.Throws<FormatException>(() => SearchResultLines.Read(labels, 8).ToList());
        Assert.Contains("per-block counts of best_path [1,1,1,1,1,1,1,1]", e.Message);
        File.WriteAllText(labels, "[1,2]\n");
        Assert.Contains(":1: not a search result line", Assert.Throws<FormatException>(() => SearchResultLines.Read(labels, 8).ToList()).Message);
    }

    [Theory]
    [InlineData("options", "null", "fields 'options', 'nodes' and 'memo' must not be null")]
    [InlineData("nodes", "null", "fields 'options', 'nodes' and 'memo' must not be null")]
    [InlineData("memo", "{\"0,1,99\": true}", "memo entry '0,1,99' is not a layer path of 8 blocks")]
    [InlineData("memo", "{\"a,b\": true}", "memo entry 'a,b' is not a layer path")]
    [InlineData("nodes", "[{\"steps\": null, \"parent\": -1}]", "node 0 is null or has no 'steps'")]
    [InlineData("nodes", "[{\"steps\": [], \"parent\": -1}]", "node 0 is not a layer path of 8 blocks")]
    [InlineData("simulations", "-5", "simulations is -5")]
    public void A_corrupt_search_state_is_named_not_a_null_reference_later(string field, string value, string expected)
    {
        var state = JsonNode.Parse(new SearchTree(8, new SearchOptions(), 1).State.ToJson())!;
        state[field] = JsonNode.Parse(value);
        var e = Assert.Throws<FormatException>(() => SearchState.FromJson(state.ToJsonString(), "ckpt.json"));
        Assert.StartsWith($"ckpt.json: search state {expected}", e.Message);
    }

    /// <summary>A model with the demo model's shape and tokenizer but other weights (so another SHA-256).</summary>
    private string OtherModel()
    {
        string other = Path.Combine(_dir, "other");
        var (code, _, err) = DrllmProcess.Run("init-model", "--out", other, "--shape", "custom", "--hidden", "128", "--layers", "8",
            "--heads", "4", "--kv-heads", "2", "--ffn", "344", "--vocab", "264");
        Assert.True(code == 0, err);
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            File.Copy(Path.Combine(Demo, f), Path.Combine(other, f));
        return other;
    }

    [Fact]
    public void Train_routers_keeps_the_base_model_and_refuses_to_resume_or_overwrite_it_with_another()
    {
        string labels = Path.Combine(_dir, "labels.jsonl"), routers = Path.Combine(_dir, "routers");
        File.WriteAllLines(labels, Enumerable.Range(0, 4).Select(i => Line($"e{i}", Full, Ones, $"Q: {i}+1=? A:")));
        string[] Train(string model, params string[] extra) =>
            ["train-routers", "--model", model, "--labels", labels, "--out", routers, "--epochs", "1", "--threads", "1", .. extra];
        var (code, _, err) = DrllmProcess.Run(Train(Demo));
        Assert.True(code == 0, err);
        var files = Directory.GetFiles(routers).Order().ToDictionary(f => f, File.ReadAllBytes);
        var other = OtherModel();

        AssertOneLineError(DrllmProcess.Run(Train(other, "--resume")), "the saved training is for base model drllm-demo");
        // Same model, as many examples, other labels: another training, refused.
        var original = File.ReadAllBytes(labels);
        File.WriteAllLines(labels, Enumerable.Range(0, 4).Select(i => Line($"e{i}", [0, 1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1, 1, 0], $"Q: {i}+1=? A:")));
        AssertOneLineError(DrllmProcess.Run(Train(Demo, "--resume")), "saved for other training examples");
        File.WriteAllBytes(labels, original);
        AssertOneLineError(DrllmProcess.Run(Train(Demo)), "routers.json exists: pass --resume");
        AssertOneLineError(DrllmProcess.Run(Train(other)), "exists: pass --resume");
        Assert.Equal(files.Keys, Directory.GetFiles(routers).Order());
        foreach (var (f, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(f));

        // A set relabelled for another model (what a resume onto it did before the trainer kept the identity): the
        // trainer state beside it still names the model the weights came from, and eval refuses.
        var c = Decoder.Load(other, threads: 1);
        var otherId = BaseModelIdentity.Of(other, c.Config);
        c.Dispose();
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(routers, RouterCheckpoint.MetadataFile)))!;
        meta["base_model"]!["name"] = otherId.Name;
        meta["base_model"]!["sha256"] = otherId.Sha256;
        File.WriteAllText(Path.Combine(routers, RouterCheckpoint.MetadataFile), meta.ToJsonString());
        AssertOneLineError(DrllmProcess.Run("eval", "--model", other, "--routers", routers, "--task", "arith", "--n", "2", "--threads", "1"),
            $"but {RouterTrainer.StateFile} beside it was trained on drllm-demo");

        // A trainer state edited to nonsense is refused, not resumed from.
        string state = Path.Combine(routers, RouterTrainer.StateFile);
        File.WriteAllText(state, File.ReadAllText(state).Replace("\"epochs_done\": 1", "\"epochs_done\": -3"));
        AssertOneLineError(DrllmProcess.Run(Train(Demo, "--resume")), "epochs_done -3, step 1 and 1 history entries do not describe a saved training");
        File.WriteAllText(state, File.ReadAllText(state).Replace("\"epochs_done\": -3", "\"epochs_done\": 1").Replace("\"options\": {", "\"options\": null, \"x\": {"));
        AssertOneLineError(DrllmProcess.Run(Train(Demo, "--resume")), "'Options'");
    }
}
