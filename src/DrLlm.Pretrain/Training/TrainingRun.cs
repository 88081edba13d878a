using System.Diagnostics;
using DrLlm.Engine.Kernels;
using DrLlm.Engine.Model;

namespace DrLlm.Pretrain.Training;

/// <summary>Figures of a finished (or stopped) run; throughput counts processed tokens, padding included.</summary>
public sealed record TrainingSummary(int FirstStep, int LastStep, long Tokens, double Seconds, double LastLoss, double EvalLoss,
    double FlopsPerToken)
{
    public double TokensPerSecond => Seconds > 0 ? Tokens / Seconds : 0;
    public double Gflops => TokensPerSecond * FlopsPerToken / 1e9;
}

/// <summary>
/// The loop around <see cref="Pretrainer.TrainStep"/>: a progress line every LogInterval steps, held-out loss every
/// EvalInterval, a checkpoint every CheckpointInterval and at the end, then the exported model in the same directory.
/// </summary>
public static class TrainingRun
{
    /// <summary>The trainer state inside the output directory (next to the exported model).</summary>
    public const string CheckpointFile = "trainer-state.bin";

    /// <param name="until">Stop after this step (checkpoint and export as at the end) although the schedule runs to Steps; at the
    /// checkpoint's own step, nothing trains and the model is exported.</param>
    public static TrainingSummary Run(Pretrainer trainer, string outDir, Action<string> log, CancellationToken cancel = default, int? until = null)
    {
        var o = trainer.Options;
        if (until is { } u && u < trainer.Step)
            throw new ArgumentException($"--until {u} is before the checkpoint's step {trainer.Step}");
        int last = Math.Min(o.Steps, until ?? o.Steps);
        Directory.CreateDirectory(outDir);
        string ckpt = Path.Combine(outDir, CheckpointFile);
        double flopsPerToken = FlopsPerToken(trainer.Model.Config, o.SeqLen, o.LayerDrop);
        int first = trainer.Step;
        long tokens = 0;
        double lastLoss = double.NaN, evalLoss = double.NaN;
        var clock = Stopwatch.StartNew();
        double trainSeconds = 0; // excludes evaluation and checkpoint time
        int droppedSinceLog = 0, stepsSinceLog = 0;
        while (trainer.Step < last && !cancel.IsCancellationRequested)
        {
            double t0 = clock.Elapsed.TotalSeconds;
            var s = trainer.TrainStep();
            trainSeconds += clock.Elapsed.TotalSeconds - t0;
            tokens += s.Tokens;
            lastLoss = s.Loss;
            droppedSinceLog += s.DroppedBlocks;
            stepsSinceLog++;
            if (!double.IsFinite(s.Loss)) throw new InvalidOperationException($"loss is {s.Loss} at step {s.Step}: training diverged (lower LearningRate)");
            if (s.Step % o.LogInterval == 0 || s.Step == o.Steps)
            {
                double tps = tokens / trainSeconds, eta = (o.Steps - s.Step) * s.Tokens / tps;
                string drop = o.LayerDrop > 0 ? $"  dropped {(double)droppedSinceLog / stepsSinceLog:F1} blocks/step" : "";
                log($"step {s.Step,6}/{o.Steps}  loss {s.Loss:F4}  lr {s.LearningRate:E2}  gnorm {s.GradNorm:F3}  " +
                    $"{tps,8:N0} tok/s  {tps * flopsPerToken / 1e9,6:F1} GFLOP/s  ETA {FormatDuration(eta)}{drop}");
                (droppedSinceLog, stepsSinceLog) = (0, 0);
            }
            if (o.EvalInterval > 0 && s.Step % o.EvalInterval == 0)
            {
                evalLoss = trainer.Evaluate();
                log($"step {s.Step,6}/{o.Steps}  held-out answer loss {evalLoss:F4}");
            }
            if (o.CheckpointInterval > 0 && s.Step % o.CheckpointInterval == 0) trainer.SaveCheckpoint(ckpt);
        }
        trainer.SaveCheckpoint(ckpt);
        trainer.Export(outDir);
        log($"saved {ckpt} (step {trainer.Step}) and the model in {outDir}");
        return new TrainingSummary(first, trainer.Step, tokens, trainSeconds, lastLoss, evalLoss, flopsPerToken);
    }

    /// <summary>
    /// Training FLOPs per token: 6 per weight of every matrix product (forward 2, backward 4; the LM head included, the
    /// embedding lookup not), plus attention's scores and weighted sum as the kernels run them, full T×T per head:
    /// 4·T·qDim forward and 8·T·qDim backward per layer (PaLM appendix B's 12·L·H·Q·T). With layer drop the blocks count
    /// at the expected share that runs, 1 − layerDrop/2 (<see cref="LayerDrop.Rate"/> averages layerDrop/2 over the blocks).
    /// </summary>
    public static double FlopsPerToken(ModelConfig c, int seqLen, float layerDrop)
    {
        double blocks = c.NumLayers * (c.NumLayers > 1 ? 1 - layerDrop / 2.0 : 1);
        double matmul = blocks * ((double)c.HiddenSize * (2 * c.QDim + 2 * c.KvDim) + 3.0 * c.HiddenSize * c.IntermediateSize)
                        + (double)c.VocabSize * c.HiddenSize;
        return 6 * matmul + 12.0 * blocks * c.QDim * seqLen;
    }

    public static string FormatDuration(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0) return "?";
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
    }
}
