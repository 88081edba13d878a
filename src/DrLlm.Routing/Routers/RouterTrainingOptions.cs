namespace DrLlm.Routing.Routers;

/// <summary>
/// Router training settings; the defaults are the paper's (METHOD.md "Routers") except where noted.
/// </summary>
public sealed record RouterTrainingOptions
{
    /// <summary>Paper: 25.</summary>
    public int Epochs { get; init; } = 25;
    /// <summary>Effective batch (examples per optimiser step, gradients accumulated over them). Paper: 16.</summary>
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>
    /// Linear warm-up steps before the cosine decay. The paper uses 500; null (the default) means min(500, 10% of the
    /// total steps), so a run shorter than 500 steps still gets past its warm-up and trains.
    /// </summary>
    public int? WarmupSteps { get; init; }
    public double FocalGamma { get; init; } = FocalLoss.DefaultGamma;
    /// <summary>β of the effective-number class weights.</summary>
    public double ClassBalanceBeta { get; init; } = FocalLoss.DefaultBeta;
    /// <summary>Share of the labelled examples held out for per-epoch validation (not in the paper; ours).</summary>
    public double ValidationShare { get; init; } = 0.1;
    /// <summary>
    /// Ours, not the paper's: multiply router l's pooled input by a fixed 1 / RMS of block l's window means over the
    /// training split (<see cref="RouterTrainer.InputScales"/>), stored with the routers and applied at inference too.
    /// The reference feeds the raw residual stream, whose scale for its 3B–8B models is O(1), the scale the paper's
    /// Xavier initialisation and lr 1e-3 suit. A small model's stream can be far off it: models/drllm-demo enters
    /// block 0 at RMS 0.04 and blocks 1–7 at RMS 150–215, so fresh routers put out logit gaps of ~200 and the focal
    /// loss starts near 25 instead of ~0.5, and each Adam step moves fc1's outputs by O(lr·√d·RMS). A fixed factor
    /// changes no router's function class (s folds into fc1.weight); it only makes the paper's settings fit the input.
    /// False trains on the raw stream as the reference does.
    /// </summary>
    public bool ScaleInputs { get; init; } = true;
    public int Hidden { get; init; } = RouterSet.DefaultHidden;
    public int Windows { get; init; } = RouterSet.DefaultWindows;
    /// <summary>Seeds the router initialisation, the validation split and every epoch's shuffle.</summary>
    public ulong Seed { get; init; }

    public int TotalSteps(int trainExamples) => Epochs * StepsPerEpoch(trainExamples);
    public int StepsPerEpoch(int trainExamples) => (trainExamples + BatchSize - 1) / BatchSize;
    public int EffectiveWarmup(int totalSteps) => WarmupSteps ?? Math.Min(500, (int)Math.Ceiling(0.1 * totalSteps));

    /// <summary>Learning rate at optimiser step <paramref name="step"/> (1-based): linear warm-up, then cosine to 0.</summary>
    public double LearningRateAt(int step, int totalSteps)
    {
        int warm = Math.Min(EffectiveWarmup(totalSteps), totalSteps);
        if (step <= warm) return LearningRate * step / Math.Max(warm, 1);
        double progress = (double)(step - warm) / Math.Max(totalSteps - warm, 1);
        return LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(progress, 1)));
    }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"router training epochs must be ≥ 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"router training batch size must be ≥ 1, got {BatchSize}");
        if (LearningRate <= 0) throw new ArgumentException($"router learning rate must be > 0, got {LearningRate}");
        if (WarmupSteps < 0) throw new ArgumentException($"router warm-up steps must be ≥ 0, got {WarmupSteps}");
        if (ValidationShare is < 0 or >= 1) throw new ArgumentException($"validation share must be in [0, 1), got {ValidationShare}");
    }
}

/// <summary>One epoch's outcome: mean training loss, and on the validation split the loss, per-block accuracy (mean
/// over blocks and examples), macro-F1 over the 3 classes, recall per class (skip, execute, repeat), the confusion
/// matrix (rows: label, columns: decision) and the same matrix for each block's router alone (null in files written
/// before it was kept).</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double[] TrainClassAccuracy,
    double ValidationLoss,
    double ValidationAccuracy,
    double ValidationMacroF1,
    double[] ValidationClassAccuracy,
    long[] ValidationConfusion,
    long[][]? ValidationConfusionByBlock = null);

/// <summary>Progress after an optimiser step: running mean loss and per-class accuracy of the epoch so far.</summary>
public sealed record RouterProgress(int Epoch, int Epochs, int Step, int TotalSteps, double Loss, double[] ClassAccuracy, double LearningRate);
