using System.Text.Json;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Routing.Search;

namespace DrLlm.Routing.Routers;

/// <summary>What a training run produced.</summary>
public sealed record RouterTrainingResult(RouterSet Routers, double[] ClassWeights, long[] TrainClassCounts,
    IReadOnlyList<EpochMetrics> History, int TrainExamples, int ValidationExamples, int Steps, int WarmupSteps);

/// <summary>
/// Trains all L routers jointly on cached teacher-forced features (METHOD.md "Routers"): focal loss with
/// effective-number class weights from the training split's label counts, inputs scaled per block to RMS 1 on the
/// training split (<see cref="RouterTrainingOptions.ScaleInputs"/>), AdamW with warm-up and cosine decay,
/// gradients accumulated over the effective batch, one shuffle per epoch from the seed. Single-threaded, so a seed
/// fixes every bit. With a state directory it saves the optimiser state after every epoch, and a resumed run
/// continues from the last saved epoch to bit-identical parameters.
/// </summary>
public sealed class RouterTrainer
{
    public const string StateWeightsFile = "trainer-state.safetensors";
    public const string StateFile = "trainer-state.json";
    private readonly RouterFeatures _f;
    private readonly RouterTrainingOptions _o;
    private readonly FocalLoss _loss;

    public RouterTrainer(RouterFeatures features, RouterTrainingOptions options)
    {
        options.Validate();
        if (features.Windows != options.Windows)
            throw new ArgumentException($"features were pooled into {features.Windows} windows; the options ask for {options.Windows}");
        _f = features;
        _o = options;
        (TrainIndices, ValidationIndices) = Split(features.Count, options);
        if (TrainIndices.Length == 0) throw new ArgumentException($"no training examples among {features.Count}");
        TrainClassCounts = new long[Router.Classes];
        foreach (int e in TrainIndices)
            foreach (int y in features.Examples[e].Labels) TrainClassCounts[y]++;
        ClassWeights = FocalLoss.EffectiveNumberWeights(TrainClassCounts, options.ClassBalanceBeta);
        _loss = new FocalLoss(ClassWeights, options.FocalGamma);
        InputScales = options.ScaleInputs ? RmsScales(features, TrainIndices) : Enumerable.Repeat(1f, features.NumBlocks).ToArray();
    }

    /// <summary>Per block, 1 / RMS of its window means over <paramref name="examples"/> (1 where they are all 0).</summary>
    public static float[] RmsScales(RouterFeatures features, IReadOnlyList<int> examples)
    {
        var scales = new float[features.NumBlocks];
        for (int l = 0; l < features.NumBlocks; l++)
        {
            double sumSq = 0;
            long count = 0;
            foreach (int e in examples)
            {
                var x = features.Means(e, l);
                foreach (float v in x) sumSq += (double)v * v;
                count += x.Length;
            }
            double rms = count == 0 ? 0 : Math.Sqrt(sumSq / count);
            scales[l] = rms > 0 && double.IsFinite(rms) ? (float)(1 / rms) : 1f;
        }
        return scales;
    }

    public int[] TrainIndices { get; }
    public int[] ValidationIndices { get; }
    public long[] TrainClassCounts { get; }
    public double[] ClassWeights { get; }
    /// <summary>The routers' fixed input factors (<see cref="RouterTrainingOptions.ScaleInputs"/>; all 1 when off).</summary>
    public float[] InputScales { get; }

    /// <summary>
    /// Runs the epochs not yet done. <paramref name="stateDir"/>: where the per-epoch state goes (null: none);
    /// <paramref name="resume"/>: start from the state there. <paramref name="stopAfterEpoch"/> ends the run early after
    /// that epoch (an interruption, for tests and for spreading a run over sessions). <paramref name="epochDone"/> gets
    /// each epoch's metrics as soon as its validation is done.
    /// </summary>
    /// <paramref name="baseModel"/>, when given, is saved in the state and a resume refuses a state saved for another
    /// model: the saved weights were trained on that model's hidden states and mean nothing on this one's.
    public RouterTrainingResult Train(string? stateDir = null, bool resume = false, Action<RouterProgress>? progress = null,
        int? stopAfterEpoch = null, Action<EpochMetrics>? epochDone = null, BaseModelIdentity? baseModel = null)
    {
        int L = _f.NumBlocks, d = _f.Dim, P = Router.ParameterCount(d, _o.Hidden);
        var routers = RouterSet.Create(L, d, _o.Seed, _o.Hidden, _o.Windows, (float[])InputScales.Clone());
        var m = new float[routers.Parameters.Length];
        var v = new float[routers.Parameters.Length];
        var history = new List<EpochMetrics>();
        int step = 0, firstEpoch = 1;
        if (resume)
        {
            if (stateDir is null) throw new ArgumentException("resume needs a state directory");
            (step, firstEpoch) = LoadState(stateDir, routers, m, v, history, baseModel);
        }
        int totalSteps = _o.TotalSteps(TrainIndices.Length), warm = Math.Min(_o.EffectiveWarmup(totalSteps), totalSteps);

        var grad = new float[routers.Parameters.Length];
        var pre = new float[_o.Windows * _o.Hidden];
        var act = new float[_o.Windows * _o.Hidden];
        Span<float> logits = stackalloc float[Router.Classes];
        Span<float> dLogits = stackalloc float[Router.Classes];
        int lastEpoch = Math.Min(_o.Epochs, stopAfterEpoch ?? _o.Epochs);
        for (int epoch = firstEpoch; epoch <= lastEpoch; epoch++)
        {
            var order = Shuffled(TrainIndices, new SplitMix(_o.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)epoch)));
            var seen = new RouterMetrics();
            double lossSum = 0;
            for (int b0 = 0; b0 < order.Length; b0 += _o.BatchSize)
            {
                int bn = Math.Min(_o.BatchSize, order.Length - b0);
                double scale = 1.0 / (bn * L); // the batch loss is the mean over its (example, block) terms
                Array.Clear(grad);
                for (int i = b0; i < b0 + bn; i++)
                {
                    var ex = _f.Examples[order[i]];
                    int w = _f.WindowCounts[order[i]];
                    for (int l = 0; l < L; l++)
                    {
                        var x = _f.Means(order[i], l);
                        routers[l].Forward(x, w, pre, act, logits);
                        lossSum += _loss.ForwardBackward(logits, ex.Labels[l], dLogits, scale);
                        seen.Add(ex.Labels[l], Engine.Kernels.Ops.Argmax(logits));
                        routers[l].Backward(x, w, pre, act, dLogits, grad.AsSpan(l * P, P), Span<float>.Empty);
                    }
                }
                step++;
                double lr = _o.LearningRateAt(step, totalSteps);
                AdamW(routers.Parameters, grad, m, v, step, lr);
                progress?.Invoke(new RouterProgress(epoch, _o.Epochs, step, totalSteps, lossSum / seen.Total, seen.ClassAccuracy(), lr));
            }
            var byBlock = new RouterMetrics[L];
            var val = Evaluate(routers, ValidationIndices, out double valLoss, byBlock);
            history.Add(new EpochMetrics(epoch, lossSum / seen.Total, seen.ClassAccuracy(), valLoss, val.Accuracy,
                val.MacroF1(), val.ClassAccuracy(), val.Confusion, byBlock.Select(b => b.Confusion).ToArray()));
            if (stateDir is not null) SaveState(stateDir, routers, m, v, step, epoch, history, baseModel);
            epochDone?.Invoke(history[^1]);
        }
        return new RouterTrainingResult(routers, ClassWeights, TrainClassCounts, history, TrainIndices.Length,
            ValidationIndices.Length, step, warm);
    }

    /// <summary>
    /// Decisions of <paramref name="routers"/> on the cached features of <paramref name="examples"/> against their
    /// labels; <paramref name="byBlock"/>, when given (one slot per block), gets each router's own metrics.
    /// </summary>
    public RouterMetrics Evaluate(RouterSet routers, IReadOnlyList<int> examples, out double meanLoss, RouterMetrics[]? byBlock = null)
    {
        if (byBlock is not null && byBlock.Length != _f.NumBlocks)
            throw new ArgumentException($"per-block metrics need {_f.NumBlocks} slots, got {byBlock.Length}");
        if (byBlock is not null) for (int l = 0; l < byBlock.Length; l++) byBlock[l] = new RouterMetrics();
        var metrics = new RouterMetrics();
        var pre = new float[routers.Windows * routers.Hidden];
        var act = new float[routers.Windows * routers.Hidden];
        Span<float> logits = stackalloc float[Router.Classes];
        double loss = 0;
        foreach (int e in examples)
            for (int l = 0; l < _f.NumBlocks; l++)
            {
                routers[l].Forward(_f.Means(e, l), _f.WindowCounts[e], pre, act, logits);
                int y = _f.Examples[e].Labels[l];
                loss += _loss.Forward(logits, y);
                int predicted = Engine.Kernels.Ops.Argmax(logits);
                metrics.Add(y, predicted);
                byBlock?[l].Add(y, predicted);
            }
        meanLoss = metrics.Total == 0 ? double.NaN : loss / metrics.Total;
        return metrics;
    }

    /// <summary>PyTorch's AdamW: decoupled weight decay p ← p − lr·λ·p, then the bias-corrected Adam step.</summary>
    private void AdamW(float[] p, float[] g, float[] m, float[] v, int t, double lr)
    {
        float b1 = (float)_o.Beta1, b2 = (float)_o.Beta2;
        double c1 = 1 - Math.Pow(_o.Beta1, t), c2 = 1 - Math.Pow(_o.Beta2, t);
        float decay = (float)(1 - lr * _o.WeightDecay), stepSize = (float)(lr / c1), eps = (float)_o.Epsilon;
        float invSqrtC2 = (float)(1 / Math.Sqrt(c2));
        for (int i = 0; i < p.Length; i++)
        {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            p[i] = p[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) * invSqrtC2 + eps);
        }
    }

    private static (int[] Train, int[] Validation) Split(int n, RouterTrainingOptions o)
    {
        var order = Shuffled(Enumerable.Range(0, n).ToArray(), new SplitMix(o.Seed ^ 0x5EED5EED5EED5EEDUL));
        int nVal = o.ValidationShare == 0 || n < 2 ? 0 : Math.Clamp((int)Math.Round(n * o.ValidationShare), 1, n - 1);
        var val = order[..nVal];
        var train = order[nVal..];
        Array.Sort(val);
        Array.Sort(train);
        return (train, val);
    }

    private static int[] Shuffled(int[] items, SplitMix rng)
    {
        var a = (int[])items.Clone();
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    /// <summary>The trainer's JSON state. <see cref="BaseModel"/> is null in states saved before it existed, and by callers that pass none.</summary>
    private sealed record TrainerState(int EpochsDone, int Step, RouterTrainingOptions Options, int Examples, List<EpochMetrics> History,
        BaseModelIdentity? BaseModel = null, string? ExamplesSha256 = null);

    /// <summary>
    /// SHA-256 of the training examples in order (ids, prompt tokens, labels): a resume on another label file with the
    /// same number of examples would otherwise continue the saved run on different data without a word.
    /// </summary>
    public static string Fingerprint(IReadOnlyList<RouterExample> examples)
    {
        using var h = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var e in examples)
        {
            h.AppendData(System.Text.Encoding.UTF8.GetBytes(e.Id + "\n"));
            h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Prompt.AsSpan()));
            h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Labels.AsSpan()));
            h.AppendData("\n"u8);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    private void SaveState(string dir, RouterSet routers, float[] m, float[] v, int step, int epoch, List<EpochMetrics> history, BaseModelIdentity? baseModel)
    {
        Directory.CreateDirectory(dir);
        long[] shape = [routers.Parameters.Length];
        string weights = Path.Combine(dir, StateWeightsFile), json = Path.Combine(dir, StateFile);
        // Written to temporary names and moved, so an interruption mid-save leaves the previous epoch's state whole.
        HfCheckpointWriter.WriteSafeTensors(weights + ".tmp",
            [("parameters", shape, routers.Parameters), ("adam.m", shape, m), ("adam.v", shape, v)], TensorDType.F32);
        File.WriteAllText(json + ".tmp", JsonSerializer.Serialize(new TrainerState(epoch, step, _o, _f.Count, history, baseModel,
            baseModel is null ? null : Fingerprint(_f.Examples)), RouterJson.Options));
        File.Move(weights + ".tmp", weights, overwrite: true);
        File.Move(json + ".tmp", json, overwrite: true);
    }

    /// <summary>
    /// Checks that the training state in <paramref name="dir"/> can be resumed with <paramref name="options"/> on
    /// <paramref name="examples"/> labelled examples (same settings, same example count); throws naming the file if
    /// not. With <paramref name="baseModel"/>, the state must have been saved for that model. Cheap: callers run it
    /// before the teacher-forced feature pass.
    /// </summary>
    /// With <paramref name="examplesSha256"/> (<see cref="Fingerprint"/>), a state that recorded its examples must have
    /// been saved for the same ones.
    public static void CheckResumable(string dir, RouterTrainingOptions options, int examples, BaseModelIdentity? baseModel = null,
        string? examplesSha256 = null) => ReadState(dir, options, examples, baseModel, examplesSha256);

    /// <summary>The base model the trainer state in <paramref name="dir"/> was saved for; null when there is no state or it names none.</summary>
    public static BaseModelIdentity? BaseModelOfState(string dir)
    {
        string json = Path.Combine(dir, StateFile);
        return File.Exists(json) ? RouterJson.Read<TrainerState>(json).BaseModel : null;
    }

    private static TrainerState ReadState(string dir, RouterTrainingOptions options, int examples, BaseModelIdentity? baseModel,
        string? examplesSha256)
    {
        string json = Path.Combine(dir, StateFile);
        if (!File.Exists(json)) throw new FileNotFoundException($"{json}: no router training state to resume from");
        var state = RouterJson.Read<TrainerState>(json);
        if (state.Options is null || state.History is null || state.History.Any(h => h is null))
            throw new ModelFormatException($"{json}: incomplete router training state (options and history are required)");
        if (state.EpochsDone < 1 || state.EpochsDone > state.Options.Epochs || state.Step < 1 || state.History.Count != state.EpochsDone)
            throw new ModelFormatException($"{json}: epochs_done {state.EpochsDone}, step {state.Step} and {state.History.Count} history entries " +
                "do not describe a saved training (at least one epoch, one step, one history entry per epoch)");
        if (state.Options != options)
            throw new ArgumentException($"{json}: saved with {Differences(state.Options, options)} — resume needs the same settings");
        if (state.Examples != examples)
            throw new ArgumentException($"{json}: saved for {state.Examples} examples; this run has {examples}");
        if (baseModel is not null)
        {
            if (state.BaseModel is null)
                throw new RouterMismatchException($"{json}: the saved training names no base model (saved by an older drllm), so it cannot be checked against {baseModel}; train into another --out");
            if (!state.BaseModel.SameWeights(baseModel))
                throw new RouterMismatchException($"{json}: the saved training is for base model {state.BaseModel}; the model given is {baseModel}");
        }
        if (examplesSha256 is not null && state.ExamplesSha256 is not null && state.ExamplesSha256 != examplesSha256)
            throw new ArgumentException($"{json}: saved for other training examples (sha256 {state.ExamplesSha256[..12]}…; these give {examplesSha256[..12]}…): " +
                "resume needs the same label file");
        return state;
    }

    /// <summary>"epochs 2, seed 0; this run has epochs 3, seed 1": the settings in which two option sets differ, on one line.</summary>
    private static string Differences(RouterTrainingOptions saved, RouterTrainingOptions now)
    {
        var a = JsonSerializer.SerializeToNode(saved, RouterJson.Options)!.AsObject();
        var b = JsonSerializer.SerializeToNode(now, RouterJson.Options)!.AsObject();
        var keys = a.Select(kv => kv.Key).Where(k => a[k]?.ToJsonString() != b[k]?.ToJsonString()).ToList();
        string List(System.Text.Json.Nodes.JsonObject o) => string.Join(", ", keys.Select(k => $"{k} {o[k]?.ToJsonString() ?? "null"}"));
        return $"{List(a)}; this run has {List(b)}";
    }

    private (int Step, int FirstEpoch) LoadState(string dir, RouterSet routers, float[] m, float[] v, List<EpochMetrics> history,
        BaseModelIdentity? baseModel)
    {
        string weights = Path.Combine(dir, StateWeightsFile);
        var state = ReadState(dir, _o, _f.Count, baseModel, baseModel is null ? null : Fingerprint(_f.Examples));
        using var file = SafeTensorsFile.Open(weights);
        foreach (var (name, dst) in new[] { ("parameters", routers.Parameters), ("adam.m", m), ("adam.v", v) })
        {
            var t = file.Get(name);
            if (t.DType != TensorDType.F32 || t.ElementCount != dst.Length)
                throw new ModelFormatException($"{weights}: tensor {name} is {t.DType} with {t.ElementCount} elements; expected F32 with {dst.Length}");
            file.ReadF32(t, dst);
        }
        history.AddRange(state.History);
        return (state.Step, state.EpochsDone + 1);
    }
}
