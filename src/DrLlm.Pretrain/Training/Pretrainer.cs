using DrLlm.Engine.Kernels;
using DrLlm.Engine.Model;
using DrLlm.Pretrain.Data;
using DrLlm.Pretrain.Export;
using DrLlm.Pretrain.Model;

namespace DrLlm.Pretrain.Training;

/// <summary>One optimiser step's figures; DroppedBlocks: how many blocks layer drop skipped in it.</summary>
public readonly record struct StepStats(int Step, double Loss, float LearningRate, double GradNorm, long Tokens, int DroppedBlocks);

/// <summary>
/// The training state and its one-step update: a <see cref="Transformer"/>, <see cref="AdamW"/> moments, the data
/// position of a <see cref="SequencePacker"/>, and the step count. Everything that changes between steps is in
/// <see cref="SaveCheckpoint"/>, so train k, save, resume, train m gives the parameters of k + m straight.
/// </summary>
public sealed unsafe class Pretrainer : IDisposable
{
    public PretrainOptions Options { get; }
    public ITrainingCorpus Corpus { get; }
    public Transformer Model { get; }
    public AdamW Optimizer { get; }
    public SequencePacker Data { get; }
    /// <summary>Optimiser steps completed.</summary>
    public int Step { get; private set; }

    private readonly int[] _inputs, _targets;
    private readonly float[] _mask;

    /// <summary>A fresh run: weights from <see cref="Transformer.InitializeWeights"/> with the options' seed.</summary>
    public Pretrainer(PretrainOptions options, ITrainingCorpus corpus)
    {
        options.Validate();
        Options = options;
        Corpus = corpus;
        Model = new Transformer(options.ModelConfig(), options.Batch, options.SeqLen, options.Threads);
        Model.InitializeWeights(options.Seed);
        Optimizer = new AdamW(Model.Layout);
        Data = new SequencePacker(corpus, options.Seed, options.SeqLen, options.CompletionOnlyLoss);
        int n = options.Batch * options.SeqLen;
        _inputs = new int[n];
        _targets = new int[n];
        _mask = new float[n];
    }

    /// <summary>Tokens one optimiser step processes (padding included).</summary>
    public long TokensPerStep => (long)Options.Batch * Options.SeqLen * Options.GradAccumulation;

    /// <summary>
    /// One optimiser step: GradAccumulation micro-batches (each loss scaled by 1/GradAccumulation), global-norm clipping,
    /// the scheduled learning rate, AdamW. With <see cref="PretrainOptions.LayerDrop"/> the step's blocks to drop are drawn
    /// once (<see cref="LayerDrop.Mask"/>) for all its micro-batches, and AdamW leaves those blocks' tensors alone.
    /// </summary>
    public StepStats TrainStep()
    {
        var o = Options;
        float lr = LearningRateSchedule.At(Step, o.WarmupSteps, o.Steps, o.LearningRate, o.MinLrRatio);
        var dropped = LayerDrop.Mask(o.Seed, Step, o.Layers, o.LayerDrop);
        Model.ZeroGrad();
        double loss = 0;
        for (int micro = 0; micro < o.GradAccumulation; micro++)
        {
            Data.NextBatch(o.Batch, _inputs, _targets, _mask);
            loss += Model.Forward(_inputs, _targets, _mask, dropped) / o.GradAccumulation;
            Model.Backward(1f / o.GradAccumulation);
        }
        double norm = AdamW.ClipGradients(Model.Grads.Ptr, Model.Layout.Count, o.GradClip);
        Optimizer.Update(Model.Params.Ptr, Model.Grads.Ptr, lr, o.Beta1, o.Beta2, o.AdamEps, o.WeightDecay,
            o.LayerDrop > 0 ? dropped : null);
        Step++;
        return new StepStats(Step, loss, lr, norm, TokensPerStep, dropped.Count(d => d));
    }

    /// <summary>
    /// Mean loss per answer token (completion tokens and the closing EOS, whatever the training loss counts) over
    /// EvalBatches held-out batches: the corpus under seed + <see cref="PretrainOptions.EvalSeedOffset"/>, always from its
    /// first example, so evaluations along a run, and runs with and without prompt loss, compare like with like. Touches
    /// no training state other than the activation buffers.
    /// </summary>
    public double Evaluate()
    {
        if (Options.EvalBatches == 0) return double.NaN;
        var held = new SequencePacker(Corpus, Options.Seed + PretrainOptions.EvalSeedOffset, Options.SeqLen, completionOnly: true);
        double sum = 0;
        for (int i = 0; i < Options.EvalBatches; i++)
        {
            held.NextBatch(Options.Batch, _inputs, _targets, _mask);
            sum += Model.Forward(_inputs, _targets, _mask);
        }
        return sum / Options.EvalBatches;
    }

    public void SaveCheckpoint(string path) =>
        TrainingCheckpoint.Save(path, new CheckpointHeader(Options, Corpus.Name, Step, Optimizer.StepCount, Data.NextExample, Model.Layout.Count),
            Model.Params.Ptr, Optimizer.M.Ptr, Optimizer.V.Ptr);

    /// <summary>
    /// Continues the run a checkpoint stores. <paramref name="adjust"/> may change settings that leave the state valid
    /// (Steps, Threads, intervals); the model shape, batch and data settings must stay as saved. The corpus must be the
    /// checkpoint's unless <paramref name="switchCorpus"/>: then training goes on with <paramref name="corpus"/> from
    /// the next step (a curriculum stage), its stream read from the checkpoint's example index on, and later
    /// checkpoints record the new corpus; such a stage may also change which tokens the loss covers (CompletionOnlyLoss).
    /// </summary>
    public static Pretrainer Resume(string path, ITrainingCorpus corpus, Func<PretrainOptions, PretrainOptions>? adjust = null,
        bool switchCorpus = false)
    {
        var ckpt = TrainingCheckpoint.Load(path);
        var h = ckpt.Header;
        if (h.Corpus != corpus.Name && !switchCorpus)
            throw new ArgumentException($"{path}: checkpoint was trained on corpus '{h.Corpus}', resuming with '{corpus.Name}' " +
                "(pass --switch-corpus to go on with the new corpus from here)");
        var options = adjust?.Invoke(h.Options) ?? h.Options;
        if (!SameShape(options, h.Options))
            throw new ArgumentException($"{path}: the model shape in the checkpoint cannot change on resume");
        if (options.Batch != h.Options.Batch || options.Seed != h.Options.Seed)
            throw new ArgumentException($"{path}: Batch and Seed cannot change on resume");
        if (options.CompletionOnlyLoss != h.Options.CompletionOnlyLoss && !switchCorpus)
            throw new ArgumentException($"{path}: CompletionOnlyLoss can change on resume only at a curriculum stage (--switch-corpus)");
        var trainer = new Pretrainer(options, corpus);
        if (trainer.Model.Layout.Count != h.ParamFloats)
        {
            trainer.Dispose();
            throw new ModelFormatException($"{path}: checkpoint holds {h.ParamFloats} floats per buffer; the model needs {trainer.Model.Layout.Count}");
        }
        ckpt.CopyTo(0, trainer.Model.Params.Ptr);
        ckpt.CopyTo(1, trainer.Optimizer.M.Ptr);
        ckpt.CopyTo(2, trainer.Optimizer.V.Ptr);
        trainer.Optimizer.StepCount = h.AdamSteps;
        trainer.Data.NextExample = h.NextExample;
        trainer.Step = h.Step;
        return trainer;
    }

    private static bool SameShape(PretrainOptions a, PretrainOptions b) =>
        (a.Hidden, a.Layers, a.Heads, a.KvHeads, a.Ffn, a.SeqLen, a.TieEmbeddings, a.RopeTheta, a.RmsNormEps) ==
        (b.Hidden, b.Layers, b.Heads, b.KvHeads, b.Ffn, b.SeqLen, b.TieEmbeddings, b.RopeTheta, b.RmsNormEps);

    /// <summary>Writes the current weights as a Hugging Face directory with the tokenizer (<see cref="ModelExport"/>).</summary>
    public void Export(string dir) => ModelExport.WriteHuggingFace(dir, Model, Options.SeqLen);

    public void Dispose()
    {
        Model.Dispose();
        Optimizer.Dispose();
    }
}
