using System.Security.Cryptography;
using System.Text.RegularExpressions;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Evaluation;
using DrLlm.Routing.Search;
using DrLlm.Tasks;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary>
/// The demo base model committed under models/drllm-demo: its weights are the ones its model card names, it still
/// answers as well as the card says on a fixed sample, and a search on it survives an interruption exactly.
/// </summary>
public partial class ShippedModelTests
{
    private static readonly string Dir = RepoPaths.DemoModel;


    private static string Card => File.ReadAllText(Path.Combine(Dir, "README.md"));

    [GeneratedRegex(@"sha256 of model\.safetensors: `([0-9a-f]{64})`")]
    private static partial Regex HashLine();

    [GeneratedRegex(@"Check sample[^\n]*?: ((?:[a-z-]+ \d\.\d+,? ?)+) on n = (\d+), seed (\d+)")]
    private static partial Regex CheckLine();

    [Fact]
    public void Weights_match_the_hash_in_the_model_card()
    {
        var m = HashLine().Match(Card);
        Assert.True(m.Success, "model card lacks the 'sha256 of model.safetensors: `…`' line");
        using var f = File.OpenRead(Path.Combine(Dir, "model.safetensors"));
        Assert.Equal(m.Groups[1].Value, Convert.ToHexStringLower(SHA256.HashData(f)));
    }

    [Fact]
    public void Accuracy_on_the_check_sample_stays_near_the_model_cards_figures()
    {
        var m = CheckLine().Match(Card);
        Assert.True(m.Success, "model card lacks the 'Check sample …: arith 0.xx, mcq 0.xx on n = N, seed K' line");
        int n = int.Parse(m.Groups[2].Value), seed = int.Parse(m.Groups[3].Value);
        using var model = Decoder.Load(Dir, threads: 2);
        var evaluator = new TaskEvaluator(model, TokenizerLoader.Load(Dir));
        foreach (Match pair in Regex.Matches(m.Groups[1].Value, @"([a-z-]+) (\d\.\d+)"))
        {
            string task = pair.Groups[1].Value;
            double expected = double.Parse(pair.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            var items = TaskRegistry.Resolve(task).Sample("test", n, seed);
            var report = evaluator.Evaluate(task, "test", items, _ => LayerPath.Default(model.Config.NumLayers));
            // Greedy answers can flip on float rounding differences between CPUs (AVX-512 vs AVX2 kernels): a small band.
            Assert.InRange(report.Accuracy, expected - 0.05, expected + 0.05);
        }
    }

    private sealed class Interrupted : Exception;

    [Fact]
    public void A_search_interrupted_and_resumed_from_its_checkpoint_ends_exactly_as_an_uninterrupted_one()
    {
        using var model = Decoder.Load(Dir, threads: 2);
        var evaluator = new TaskEvaluator(model, TokenizerLoader.Load(Dir));
        var options = new SearchOptions { EarlyStopOnFix = false, EarlyStopSavedSteps = 0, EarlyStopSavedFraction = 0, Simulations = 20 };
        foreach (var item in TaskRegistry.Resolve("arith").Sample("train", 2, seed: 3))
        {
            ulong seed = ExampleSearch.SeedFor(3, item.Id);
            ExampleSearchResult straight;
            using (var s = new SessionPool(model)) straight = ExampleSearch.Run(evaluator, s, item, options, seed);

            SearchCheckpoint? saved = null;
            int checkpoints = 0;
            using (var s = new SessionPool(model))
                Assert.Throws<Interrupted>(() => ExampleSearch.Run(evaluator, s, item, options, seed, checkpoint: c =>
                {
                    // Round-trip through JSON, as a checkpoint file does, then "die" after the second one.
                    saved = c with { State = SearchState.FromJson(c.State.ToJson(), "checkpoint") };
                    if (++checkpoints == 2) throw new Interrupted();
                }, checkpointEvery: 4));
            Assert.Equal(8, saved!.State.Simulations);

            ExampleSearchResult resumed;
            using (var s = new SessionPool(model)) resumed = ExampleSearch.Run(evaluator, s, item, options, seed, saved);
            Assert.Equal(straight.BestPath ?? [], resumed.BestPath ?? []);
            Assert.Equal(straight.Labels ?? [], resumed.Labels ?? []);
            Assert.Equal((straight.Simulations, straight.PathsEvaluated, straight.DefaultCorrect, straight.StopReason),
                (resumed.Simulations, resumed.PathsEvaluated, resumed.DefaultCorrect, resumed.StopReason));
            // The same evaluations in the same order: total work is equal; only its split into run and reused differs.
            Assert.Equal(straight.BlockRuns + straight.BlockRunsSaved, resumed.BlockRuns + resumed.BlockRunsSaved);
        }
    }
}
