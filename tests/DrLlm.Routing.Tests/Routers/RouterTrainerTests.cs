using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;

namespace DrLlm.Routing.Tests.Routers;

public class RouterTrainerTests
{
    private static readonly int[] PatternA = [1, 1, 1, 1, 1, 1];
    private static readonly int[] PatternB = [1, 0, 1, 2, 1, 0];

    /// <summary>
    /// Synthetic labels the routers can learn: the label path depends only on the prompt's first token (below 8: the
    /// default path; otherwise skips and a repeat). With 8-token prompts each window is one token, so the first window
    /// carries the answer.
    /// </summary>
    private static RouterFeatures Features(int n)
    {
        var rng = new SplitMix(42);
        var examples = Enumerable.Range(0, n).Select(i =>
        {
            int first = rng.Next(16);
            var prompt = new[] { first }.Concat(Enumerable.Range(0, 7).Select(_ => 16 + rng.Next(48))).ToArray();
            return new RouterExample($"e{i}", prompt, first < 8 ? PatternA : PatternB);
        }).ToList();
        using var model = TinyModel.Create();
        using var s = model.CreateSession();
        return RouterFeatures.Compute(s, examples);
    }

    private static readonly Lazy<RouterFeatures> Shared = new(() => Features(80));

    [Fact]
    public void Learns_labels_that_depend_on_the_prompt()
    {
        var options = new RouterTrainingOptions { Epochs = 30, LearningRate = 3e-3, ValidationShare = 0.2, Seed = 1 };
        var trainer = new RouterTrainer(Shared.Value, options);
        Assert.Equal(16, trainer.ValidationIndices.Length);
        var progress = new List<RouterProgress>();
        var result = trainer.Train(progress: progress.Add);

        Assert.Equal(30 * 4, result.Steps); // 64 training examples = 4 batches of 16 per epoch
        Assert.Equal(12, result.WarmupSteps); // min(500, 10% of 120)
        Assert.Equal(result.Steps, progress.Count);
        var last = result.History[^1];
        Assert.True(last.ValidationAccuracy >= 0.95, $"validation accuracy {last.ValidationAccuracy}");
        Assert.True(last.ValidationMacroF1 >= 0.9, $"macro-F1 {last.ValidationMacroF1}");
        Assert.True(last.TrainLoss < result.History[0].TrainLoss);
        Assert.Equal(3.0, result.ClassWeights.Sum(), 1e-9);
    }

    [Fact]
    public void Resumed_training_is_bit_identical_to_an_uninterrupted_run()
    {
        var options = new RouterTrainingOptions { Epochs = 4, BatchSize = 16, Seed = 9 };
        string a = Directory.CreateTempSubdirectory("routers-a").FullName, b = Directory.CreateTempSubdirectory("routers-b").FullName;
        try
        {
            var whole = new RouterTrainer(Shared.Value, options).Train(a);
            var first = new RouterTrainer(Shared.Value, options).Train(b, stopAfterEpoch: 2);
            Assert.Equal(2, first.History.Count);
            var resumed = new RouterTrainer(Shared.Value, options).Train(b, resume: true);

            Assert.Equal(whole.Routers.Parameters, resumed.Routers.Parameters);
            Assert.Equal(whole.Steps, resumed.Steps);
            Assert.Equal(whole.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
            Assert.Equal(whole.History.Select(h => h.ValidationAccuracy), resumed.History.Select(h => h.ValidationAccuracy));

            // Resuming with other settings would not reproduce the run: refused, naming the file.
            var e = Assert.Throws<ArgumentException>(() => new RouterTrainer(Shared.Value, options with { LearningRate = 2e-3 }).Train(b, resume: true));
            Assert.Contains(RouterTrainer.StateFile, e.Message);
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Fact]
    public void Same_seed_same_parameters()
    {
        var options = new RouterTrainingOptions { Epochs = 2, Seed = 3 };
        var x = new RouterTrainer(Shared.Value, options).Train();
        var y = new RouterTrainer(Shared.Value, options).Train();
        Assert.Equal(x.Routers.Parameters, y.Routers.Parameters);
        var z = new RouterTrainer(Shared.Value, options with { Seed = 4 }).Train();
        Assert.NotEqual(x.Routers.Parameters, z.Routers.Parameters);
    }

    [Fact]
    public void Schedule_warms_up_linearly_then_decays_by_cosine_to_zero()
    {
        var o = new RouterTrainingOptions { WarmupSteps = 10 };
        Assert.Equal(1e-4, o.LearningRateAt(1, 110), 1e-12);
        Assert.Equal(1e-3, o.LearningRateAt(10, 110), 1e-12);
        Assert.Equal(0.5e-3, o.LearningRateAt(60, 110), 1e-12);
        Assert.Equal(0, o.LearningRateAt(110, 110), 1e-12);
        Assert.Equal(500, new RouterTrainingOptions().EffectiveWarmup(100_000));
        Assert.Equal(20, new RouterTrainingOptions().EffectiveWarmup(200));
    }

    [Fact]
    public void Metrics_accuracy_and_macro_f1()
    {
        var m = new RouterMetrics();
        // labels 1,1,1,0 predicted 1,1,0,0: accuracy 3/4; F1(skip) = 2/3, F1(execute) = 0.8, repeat absent.
        m.Add(1, 1); m.Add(1, 1); m.Add(1, 0); m.Add(0, 0);
        Assert.Equal(0.75, m.Accuracy);
        Assert.Equal((2.0 / 3 + 0.8) / 2, m.MacroF1(), 1e-12);
        Assert.True(double.IsNaN(m.ClassAccuracy()[2]));
    }
}
