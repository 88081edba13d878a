using DrLlm.Engine.Model;
using DrLlm.Pretrain.Data;
using DrLlm.Pretrain.Training;

namespace DrLlm.Pretrain.Tests;

public unsafe class TrainingTests
{
    /// <summary>A 2-block model small enough to train a few steps in a test.</summary>
    public static PretrainOptions TinyOptions { get; } = new()
    {
        Hidden = 32, Layers = 2, Heads = 4, KvHeads = 2, Ffn = 64, SeqLen = 32, Batch = 2, GradAccumulation = 2,
        LearningRate = 3e-3f, WarmupSteps = 3, Steps = 12, Seed = 5, EvalInterval = 0, EvalBatches = 1,
        CheckpointInterval = 0, LogInterval = 1000, Threads = 2,
    };

    private static float[] Parameters(Pretrainer t) => new ReadOnlySpan<float>(t.Model.Params.Ptr, (int)t.Model.Layout.Count).ToArray();

    [Fact]
    public void Schedule_warms_up_linearly_then_decays_by_cosine_to_ten_percent()
    {
        Assert.Equal(0.1f, LearningRateSchedule.At(0, 10, 110, 1f, 0.1f), 6);
        Assert.Equal(1.0f, LearningRateSchedule.At(9, 10, 110, 1f, 0.1f), 6);
        Assert.Equal(1.0f, LearningRateSchedule.At(10, 10, 110, 1f, 0.1f), 6);
        Assert.InRange(LearningRateSchedule.At(10 + 99 / 2, 10, 110, 1f, 0.1f), 0.54f, 0.57f); // half-way: (1 + 0.1) / 2
        Assert.Equal(0.1f, LearningRateSchedule.At(109, 10, 110, 1f, 0.1f), 6);
    }

    [Fact]
    public void AdamW_first_step_moves_each_weight_by_lr_and_decays_only_matrices()
    {
        var config = Tiny.Config();
        var layout = new DrLlm.Pretrain.Model.ParameterLayout(config);
        using var adam = new AdamW(layout);
        var p = new float[layout.Count];
        var g = new float[layout.Count];
        for (int i = 0; i < p.Length; i++) { p[i] = 0.5f; g[i] = i % 2 == 0 ? 3f : -0.01f; }
        fixed (float* pp = p, pg = g) adam.Update(pp, pg, lr: 0.01f, 0.9f, 0.95f, 1e-8f, weightDecay: 0.1f);
        var matrix = layout.Tensors.First(t => t.IsMatrix);
        var norm = layout.Tensors.First(t => !t.IsMatrix);
        // Step 1: m̂ = g, v̂ = g², so the update is lr·sign(g), plus lr·wd·p on matrices.
        Assert.Equal(0.5f - 0.01f - 0.01f * 0.1f * 0.5f, p[matrix.Offset], 6);
        Assert.Equal(0.5f + 0.01f - 0.01f * 0.1f * 0.5f, p[matrix.Offset + 1], 6);
        Assert.Equal(0.5f - 0.01f, p[norm.Offset], 6);
    }

    [Fact]
    public void Clipping_scales_the_global_norm_to_the_limit()
    {
        float[] g = [3f, 4f, 0f];
        fixed (float* pg = g)
        {
            Assert.Equal(5.0, AdamW.ClipGradients(pg, 3, 1f), 6);
            Assert.Equal(1.0, AdamW.ClipGradients(pg, 3, 1f), 5);
        }
        Assert.Equal(0.6f, g[0], 5);
    }

    [Fact]
    public void Training_lowers_the_loss()
    {
        using var t = new Pretrainer(TinyOptions with { Steps = 40, GradAccumulation = 1, Batch = 4 }, new ArithmeticCorpus());
        double before = t.Evaluate();
        for (int i = 0; i < 40; i++) t.TrainStep();
        double after = t.Evaluate();
        Assert.True(after < before - 1.0, $"held-out loss {before:F3} → {after:F3}");
    }

    /// <summary>Train k steps, save, resume in a fresh trainer, train m: the parameters equal k + m straight, bit for bit.</summary>
    [Fact]
    public void Resume_from_checkpoint_is_bit_identical_to_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        var corpus = new ArithmeticCorpus();
        float[] straight;
        using (var t = new Pretrainer(TinyOptions, corpus))
        {
            for (int i = 0; i < 7; i++) t.TrainStep();
            straight = Parameters(t);
        }
        string path = dir.File("state.bin");
        using (var t = new Pretrainer(TinyOptions, corpus))
        {
            for (int i = 0; i < 4; i++) t.TrainStep();
            t.SaveCheckpoint(path);
            t.TrainStep(); // state after saving must not leak into the file
        }
        using var resumed = Pretrainer.Resume(path, corpus);
        Assert.Equal(4, resumed.Step);
        for (int i = 0; i < 3; i++) resumed.TrainStep();
        var after = Parameters(resumed);
        Assert.True(straight.AsSpan().SequenceEqual(after), "resumed parameters differ from the uninterrupted run");
    }

    [Fact]
    public void A_run_stopped_with_until_and_resumed_ends_as_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        var corpus = new ArithmeticCorpus();
        float[] straight;
        using (var t = new Pretrainer(TinyOptions, corpus))
        {
            TrainingRun.Run(t, dir.File("straight"), _ => { });
            straight = Parameters(t);
        }
        string run = dir.File("chunks");
        using (var t = new Pretrainer(TinyOptions, corpus))
        {
            var s = TrainingRun.Run(t, run, _ => { }, until: 5);
            Assert.Equal(5, s.LastStep);
            Assert.True(File.Exists(Path.Combine(run, "model.safetensors")), "a stopped run exports its model");
            Assert.Equal(5, TrainingRun.Run(t, run, _ => { }, until: 5).LastStep); // already there: nothing to train
            Assert.Throws<ArgumentException>(() => TrainingRun.Run(t, run, _ => { }, until: 4));
        }
        using var resumed = Pretrainer.Resume(Path.Combine(run, TrainingRun.CheckpointFile), corpus);
        Assert.Equal(TinyOptions.Steps, TrainingRun.Run(resumed, run, _ => { }).LastStep);
        Assert.True(straight.AsSpan().SequenceEqual(Parameters(resumed)), "stopping at --until changed the run");
    }

    [Fact]
    public void Resuming_on_another_corpus_needs_the_switch_and_then_goes_on_from_the_same_example()
    {
        using var dir = new TempDir();
        string path = dir.File("state.bin");
        long next;
        using (var t = new Pretrainer(TinyOptions, new ArithmeticCorpus()))
        {
            t.TrainStep();
            t.SaveCheckpoint(path);
            next = t.Data.NextExample;
        }
        var tasks = new TaskFamilyCorpus(["arith:1"]);
        var e = Assert.Throws<ArgumentException>(() => Pretrainer.Resume(path, tasks));
        Assert.Contains("--switch-corpus", e.Message);
        static PretrainOptions Flip(PretrainOptions o) => o with { CompletionOnlyLoss = !o.CompletionOnlyLoss };
        e = Assert.Throws<ArgumentException>(() => Pretrainer.Resume(path, new ArithmeticCorpus(), Flip));
        Assert.Contains("CompletionOnlyLoss can change on resume only at a curriculum stage", e.Message);
        using (var switched = Pretrainer.Resume(path, tasks, Flip, switchCorpus: true))
        {
            Assert.Equal((1, next), (switched.Step, switched.Data.NextExample));
            Assert.Equal(!TinyOptions.CompletionOnlyLoss, switched.Options.CompletionOnlyLoss);
            switched.TrainStep();
            switched.SaveCheckpoint(path);
        }
        Assert.Throws<ArgumentException>(() => Pretrainer.Resume(path, new ArithmeticCorpus())); // it now records the new corpus
        using var again = Pretrainer.Resume(path, tasks);
        Assert.Equal((2, !TinyOptions.CompletionOnlyLoss), (again.Step, again.Options.CompletionOnlyLoss));
    }

    [Fact]
    public void Corrupt_or_truncated_checkpoint_is_an_error_naming_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("state.bin");
        using (var t = new Pretrainer(TinyOptions, new ArithmeticCorpus()))
        {
            t.TrainStep();
            t.SaveCheckpoint(path);
        }
        var good = File.ReadAllBytes(path);

        var flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, flipped);
        var e = Assert.Throws<ModelFormatException>(() => Pretrainer.Resume(path, new ArithmeticCorpus()));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum", e.Message);

        File.WriteAllBytes(path, good.AsSpan(0, good.Length - 100).ToArray());
        e = Assert.Throws<ModelFormatException>(() => Pretrainer.Resume(path, new ArithmeticCorpus()));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, good.AsSpan(0, 10).ToArray());
        e = Assert.Throws<ModelFormatException>(() => Pretrainer.Resume(path, new ArithmeticCorpus()));
        Assert.Contains(path, e.Message);

        e = Assert.Throws<ModelFormatException>(() => Pretrainer.Resume(dir.File("missing.bin"), new ArithmeticCorpus()));
        Assert.Contains("missing.bin", e.Message);
    }
}
