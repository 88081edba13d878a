using System.Text.Json;
using DrLlm.Engine.Model;
using DrLlm.Routing.Routers;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests.Routers;

/// <summary>
/// <c>drllm search → train-routers → generate/eval --routers</c> as processes on the shipped demo model: what they print,
/// and one-line errors (exit 1, no stack trace) for routers that belong to another model.
/// </summary>
public sealed class RouterCliTests : IDisposable
{
    private static readonly string Demo = RepoPaths.DemoModel;
    private static readonly Lazy<ModelConfig> DemoConfig = new(() =>
    {
        using var d = Decoder.Load(Demo, threads: 1);
        return d.Config;
    });
    private readonly string _dir = Directory.CreateTempSubdirectory("router-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, true);


    /// <summary>Routers for the demo model that ignore their input and give <paramref name="decisions"/>, saved for <paramref name="identity"/>.</summary>
    private string FixedRouters(int[] decisions, BaseModelIdentity identity)
    {
        var c = DemoConfig.Value;
        var set = RouterSet.Create(c.NumLayers, c.HiddenSize, seed: 1);
        for (int l = 0; l < c.NumLayers; l++)
        {
            set[l].Fc2Weight.Clear();
            set[l].Fc2Bias[decisions[l]] = 5f;
        }
        string dir = Path.Combine(_dir, "fixed-" + identity.Name);
        RouterCheckpoint.Save(dir, set, new RouterMetadata(identity, c.HiddenSize, c.NumLayers, set.Hidden, set.Windows,
            [1, 1, 1], null, null, null));
        return dir;
    }

    private static string[] Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static void AssertOneLineError(int code, string output, string err, string expected)
    {
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var lines = Lines(err.Trim());
        Assert.True(lines.Length == 1, $"expected one line, got:\n{err}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void Generate_with_routers_prints_the_text_of_the_path_they_chose_and_that_path()
    {
        int[] decisions = [1, 1, 0, 1, 1, 2, 1, 1];
        var routers = FixedRouters(decisions, BaseModelIdentity.Of(Demo, DemoConfig.Value));
        const string prompt = "Q: 12+7=? A:";

        var (code, routed, err) = DrllmProcess.Run("generate", "--model", Demo, "--routers", routers, "--prompt", prompt, "--max-new-tokens", "6");
        Assert.True(code == 0, err);
        var (code2, fixedPath, err2) = DrllmProcess.Run("generate", "--model", Demo, "--path", "0,1,3,4,5,5,6,7", "--prompt", prompt, "--max-new-tokens", "6");
        Assert.True(code2 == 0, err2);

        // The text is the one that path gives; the last line names the path, the decisions and the router time.
        int last = routed.TrimEnd('\n').LastIndexOf('\n') + 1;
        Assert.Equal(fixedPath, routed[..last]);
        Assert.Matches(@"^routed path: 0,1,3,4,5,5,6,7 \(8 steps, 8 blocks; decisions 1,1,0,1,1,2,1,1\); router overhead \d+\.\d{3} ms of \d+\.\d ms\n$", routed[last..]);
    }

    [Fact]
    public void Routers_of_another_base_model_are_refused_in_one_line_naming_both()
    {
        var other = new BaseModelIdentity("other-model", new string('b', 64), DemoConfig.Value.HiddenSize, DemoConfig.Value.NumLayers);
        var routers = FixedRouters([1, 1, 1, 1, 1, 1, 1, 1], other);

        var (code, output, err) = DrllmProcess.Run("generate", "--model", Demo, "--routers", routers, "--prompt", "Q: 1+1=? A:");
        AssertOneLineError(code, output, err, "routers were trained for base model other-model");
        Assert.Contains("drllm-demo", err);

        (code, output, err) = DrllmProcess.Run("eval", "--model", Demo, "--routers", routers, "--task", "arith", "--n", "2");
        AssertOneLineError(code, output, err, "routers were trained for base model other-model");

        (code, output, err) = DrllmProcess.Run("generate", "--model", Demo, "--routers", routers, "--path", "0,1", "--tokens", "1,2");
        AssertOneLineError(code, output, err, "--path and --routers exclude each other");

        (code, output, err) = DrllmProcess.Run("generate", "--model", Demo, "--routers", Path.Combine(_dir, "none"), "--tokens", "1,2");
        AssertOneLineError(code, output, err, "routers.json");
    }

    [Fact]
    public void Search_train_resume_and_routed_eval_run_end_to_end()
    {
        string labels = Path.Combine(_dir, "labels.jsonl"), routers = Path.Combine(_dir, "routers");
        var (code, _, err) = DrllmProcess.Run("search", "--model", Demo, "--task", "mcq", "--split", "train", "--n", "8",
            "--out", labels, "--threads", "1");
        Assert.True(code == 0, err);

        (code, var output, err) = DrllmProcess.Run("train-routers", "--model", Demo, "--labels", labels, "--out", routers,
            "--epochs", "2", "--threads", "1");
        Assert.True(code == 0, err);
        var summary = JsonDocument.Parse(output).RootElement;
        Assert.Equal(2, summary.GetProperty("epochs").GetInt32());
        Assert.Equal(DemoConfig.Value.NumLayers, summary.GetProperty("input_scales").GetArrayLength());
        // Progress: per-class accuracy on steps, validation metrics per epoch.
        Assert.Matches(@"epoch \d/2 step \d+/\d+ lr \S+ loss \d+\.\d{4} train class acc skip (\d+%|n/a) exec (\d+%|n/a) repeat (\d+%|n/a)", err);
        Assert.Matches(@"epoch 2: train loss \d+\.\d{4}, validation loss \d+\.\d{4}, block accuracy [\d.]+ ?%, macro-F1 \d\.\d{3}, class acc skip", err);

        // --class-balance-beta: near 0 the classes weigh alike (the paper's 0.999 on a small label set weights a rare
        // class many times the others); outside (0, 1) a one-line error.
        (code, var alike, err) = DrllmProcess.Run("train-routers", "--model", Demo, "--labels", labels, "--out", Path.Combine(_dir, "alike"),
            "--epochs", "1", "--threads", "1", "--class-balance-beta", "0.000001");
        Assert.True(code == 0, err);
        var w = JsonDocument.Parse(alike).RootElement.GetProperty("class_weights").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.All(w.Where(x => x > 0), x => Assert.Equal(1.0, x, 3));
        (code, alike, err) = DrllmProcess.Run("train-routers", "--model", Demo, "--labels", labels, "--out", Path.Combine(_dir, "bad-beta"),
            "--epochs", "1", "--threads", "1", "--class-balance-beta", "1");
        AssertOneLineError(code, alike, err, "--class-balance-beta must be in (0, 1), got 1");

        // --resume of a finished run trains nothing more and reports the same run; with another epoch count (another
        // schedule) it is refused, naming the state file.
        var weights = File.ReadAllBytes(Path.Combine(routers, RouterCheckpoint.WeightsFile));
        (code, var again, err) = DrllmProcess.Run("train-routers", "--model", Demo, "--labels", labels, "--out", routers,
            "--epochs", "2", "--threads", "1", "--resume");
        Assert.True(code == 0, err);
        Assert.Equal(output, again);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(routers, RouterCheckpoint.WeightsFile)));
        (code, output, err) = DrllmProcess.Run("train-routers", "--model", Demo, "--labels", labels, "--out", routers,
            "--epochs", "3", "--threads", "1", "--resume");
        AssertOneLineError(code, output, err, RouterTrainer.StateFile);

        (code, output, err) = DrllmProcess.Run("eval", "--model", Demo, "--routers", routers, "--task", "mcq", "--n", "6", "--threads", "1");
        Assert.True(code == 0, err);
        string evalFile = Path.Combine(_dir, "eval-mcq.json");
        File.WriteAllText(evalFile, output);
        Assert.Equal(6, Evaluation.RoutedEvalSummary.Read(evalFile).N);
        var eval = JsonDocument.Parse(output).RootElement;
        Assert.Equal(6, eval.GetProperty("n").GetInt32());
        var freq = eval.GetProperty("action_frequencies");
        Assert.Equal(DemoConfig.Value.NumLayers, freq.GetArrayLength());
        foreach (var block in freq.EnumerateArray()) Assert.Equal(1.0, block.EnumerateArray().Sum(x => x.GetDouble()), 1e-3);
        Assert.True(eval.GetProperty("router_overhead_s").GetDouble() >= 0);
        Assert.InRange(eval.GetProperty("avg_layers").GetDouble(), 1, 2 * DemoConfig.Value.NumLayers);

        // The report: the eval's figures in the in-domain table, the labels' statistics, written to --out as printed.
        string report = Path.Combine(_dir, "report.md");
        (code, output, err) = DrllmProcess.Run("router-report", "--routers", routers, "--eval", evalFile, "--labels", labels, "--out", report);
        Assert.True(code == 0, err);
        Assert.Equal(output, File.ReadAllText(report));
        double baseline = eval.GetProperty("baseline_accuracy").GetDouble(), routed = eval.GetProperty("accuracy").GetDouble();
        Assert.Contains($"| mcq | 6 | {100 * baseline:F1} → {100 * routed:F1} |", output);
        Assert.Matches(@"\| mcq \| 8 \| \d+ \|", output); // 8 searched examples in the label table
        Assert.Contains("After epoch 2: per-block accuracy", output);

        (code, output, err) = DrllmProcess.Run("router-report", "--routers", routers, "--eval", labels);
        AssertOneLineError(code, output, err, labels);

        // The budget knob: the curve over τ, and calibration on the validation split. τ = 1 is the default path, so
        // it always keeps the accuracy; the τ stored is the one with the fewest layers among those that keep it.
        (code, output, err) = DrllmProcess.Run("eval", "--model", Demo, "--routers", routers, "--task", "mcq", "--split", "validation",
            "--n", "6", "--threads", "1", "--thresholds", "0,1", "--calibrate-max-drop", "0");
        Assert.True(code == 0, err);
        var calibrated = JsonDocument.Parse(output).RootElement;
        var curve = calibrated.GetProperty("threshold_curve").EnumerateArray().ToList();
        Assert.Equal([0.0, 1.0], curve.Select(p => p.GetProperty("threshold").GetDouble()));
        Assert.Equal(calibrated.GetProperty("baseline_accuracy").GetDouble(), curve[1].GetProperty("accuracy").GetDouble());
        Assert.Equal(0, curve[1].GetProperty("layers_saved").GetDouble());
        double tau = calibrated.GetProperty("decision_threshold").GetDouble();
        Assert.Equal(tau, RouterCheckpoint.Load(routers).Metadata.DecisionThreshold);
        Assert.Contains($"calibrated: τ {tau} stored in {routers}", err);
        (code, output, err) = DrllmProcess.Run("eval", "--model", Demo, "--routers", routers, "--task", "mcq", "--n", "2", "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Equal(tau, JsonDocument.Parse(output).RootElement.GetProperty("decision_threshold").GetDouble());
    }
}
