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
    private static RouterFeatures Features(int n, float weightScale = 0.3f)
    {
        var rng = new SplitMix(42);
        var examples = Enumerable.Range(0, n).Select(i =>
        {
            int first = rng.Next(16);
            var prompt = new[] { first }.Concat(Enumerable.Range(0, 7).Select(_ => 16 + rng.Next(48))).ToArray();
            return new RouterExample($"e{i}", prompt, first < 8 ? PatternA : PatternB);
        }).ToList();
        using var model = TinyModel.Create(scale: weightScale);
        using var s = model.CreateSession();
        return RouterFeatures.Compute(s, examples);
    }

    // 160 examples: 32 validation examples (192 decisions), so one seed's accuracy is not a coin flip away from another's.
    private static readonly Lazy<RouterFeatures> Shared = new(() => Features(160));
    /// <summary>The same labels on a model whose residual stream is far from RMS 1 (embeddings of std 30).</summary>
    private static readonly Lazy<RouterFeatures> LargeStream = new(() => Features(80, weightScale: 30f));

    private static double RmsOf(RouterFeatures f, IEnumerable<int> examples, int block, float scale)
    {
        double sumSq = 0;
        long n = 0;
        foreach (int e in examples)
            foreach (float v in f.Means(e, block)) { sumSq += (double)(scale * v) * (scale * v); n++; }
        return Math.Sqrt(sumSq / n);
    }

    [Fact]
    public void Input_scales_bring_every_blocks_training_inputs_to_rms_one()
    {
        var f = LargeStream.Value;
        var trainer = new RouterTrainer(f, new RouterTrainingOptions { Seed = 1 });
        for (int l = 0; l < f.NumBlocks; l++)
        {
            Assert.True(RmsOf(f, trainer.TrainIndices, l, 1f) > 20, $"block {l}: the raw stream should be far from RMS 1");
            Assert.Equal(1.0, RmsOf(f, trainer.TrainIndices, l, trainer.InputScales[l]), 1e-4);
        }
        var raw = new RouterTrainer(f, new RouterTrainingOptions { Seed = 1, ScaleInputs = false });
        Assert.All(raw.InputScales, s => Assert.Equal(1f, s));
    }

    [Fact]
    public void Fresh_routers_start_near_the_uniform_focal_loss_only_with_scaled_inputs()
    {
        // Uniform logits give −α·(2/3)²·ln(1/3) per term, ≈ 0.49 α. Raw inputs of RMS ≫ 1 give fresh Xavier routers
        // logit gaps in the tens and a loss in the tens: the "loss ~40" seen on models/drllm-demo.
        var f = LargeStream.Value;
        double Initial(RouterTrainingOptions o)
        {
            var trainer = new RouterTrainer(f, o);
            var fresh = RouterSet.Create(f.NumBlocks, f.Dim, o.Seed, o.Hidden, o.Windows, trainer.InputScales);
            trainer.Evaluate(fresh, trainer.TrainIndices, out double loss);
            return loss / trainer.ClassWeights.Max();
        }
        var scaled = Initial(new RouterTrainingOptions { Seed = 1 });
        var raw = Initial(new RouterTrainingOptions { Seed = 1, ScaleInputs = false });
        Assert.True(scaled < 1.0, $"scaled inputs: initial loss / max α = {scaled}");
        Assert.True(raw > 5.0, $"raw inputs: initial loss / max α = {raw}");
    }

    [Fact]
    public void Reported_loss_is_the_mean_over_example_block_terms_not_their_sum()
    {
        // One batch holding the whole training split: the first step's reported loss is taken before the update, so it
        // must equal the mean focal loss of the fresh routers over every (example, block) term.
        var options = new RouterTrainingOptions { Epochs = 1, BatchSize = 1000, Seed = 5 };
        var trainer = new RouterTrainer(Shared.Value, options);
        var progress = new List<RouterProgress>();
        trainer.Train(progress: progress.Add);
        var fresh = RouterSet.Create(6, Shared.Value.Dim, options.Seed, options.Hidden, options.Windows, trainer.InputScales);
        trainer.Evaluate(fresh, trainer.TrainIndices, out double mean);
        Assert.Single(progress);
        Assert.Equal(mean, progress[0].Loss, 1e-9);
    }

    [Fact]
    public void Epoch_callback_gets_each_epochs_validation_metrics()
    {
        var epochs = new List<EpochMetrics>();
        var result = new RouterTrainer(Shared.Value, new RouterTrainingOptions { Epochs = 3, Seed = 2 }).Train(epochDone: epochs.Add);
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Epoch));
        Assert.Equal(result.History, epochs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Learns_labels_that_depend_on_the_prompt_from_a_large_stream(bool scaleInputs)
    {
        var options = new RouterTrainingOptions { Epochs = 30, LearningRate = 3e-3, ValidationShare = 0.2, Seed = 1, ScaleInputs = scaleInputs };
        var last = new RouterTrainer(LargeStream.Value, options).Train().History[^1];
        Assert.True(last.ValidationAccuracy >= 0.9, $"scale inputs {scaleInputs}: validation accuracy {last.ValidationAccuracy}");
    }

    [Fact]
    public void Learns_labels_that_depend_on_the_prompt()
    {
        var options = new RouterTrainingOptions { Epochs = 30, LearningRate = 3e-3, ValidationShare = 0.2, Seed = 1 };
        var trainer = new RouterTrainer(Shared.Value, options);
        Assert.Equal(32, trainer.ValidationIndices.Length);
        var progress = new List<RouterProgress>();
        var result = trainer.Train(progress: progress.Add);

        Assert.Equal(30 * 8, result.Steps); // 128 training examples = 8 batches of 16 per epoch
        Assert.Equal(24, result.WarmupSteps); // min(500, 10% of 240)
        Assert.Equal(result.Steps, progress.Count);
        var last = result.History[^1];
        // Always answering "execute" scores 0.75 here; over seeds 1–4 both input modes reach 0.94–0.97.
        Assert.True(last.ValidationAccuracy >= 0.93, $"validation accuracy {last.ValidationAccuracy}");
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
