using DrLlm.Engine.Kernels;
using DrLlm.Routing.Search;

namespace DrLlm.Routing.Routers;

/// <summary>
/// The L routers of one model, their parameters in one flat buffer (router l at l·<see cref="ParametersPerRouter"/>),
/// as llm.c keeps a model's parameters: the optimiser and the checkpoint see one array.
/// </summary>
public sealed class RouterSet
{
    public const int DefaultHidden = 128;
    public const int DefaultWindows = 8;
    private readonly Router[] _routers;

    /// <param name="inputScales">router l's fixed input factor (<see cref="Router.InputScale"/>); null: all 1, the paper's router</param>
    public RouterSet(int numBlocks, int dim, int hidden, int windows, float[] parameters, float[]? inputScales = null)
    {
        if (numBlocks < 1 || dim < 1 || hidden < 1 || windows < 1)
            throw new ArgumentException($"router set needs blocks, d, hidden and windows ≥ 1; got {numBlocks}, {dim}, {hidden}, {windows}");
        NumBlocks = numBlocks;
        Dim = dim;
        Hidden = hidden;
        Windows = windows;
        ParametersPerRouter = Router.ParameterCount(dim, hidden);
        if (parameters.Length != (long)numBlocks * ParametersPerRouter)
            throw new ArgumentException($"router parameters hold {parameters.Length} floats; {numBlocks} routers of d {dim}, hidden {hidden} need {(long)numBlocks * ParametersPerRouter}");
        Parameters = parameters;
        InputScales = inputScales ?? Enumerable.Repeat(1f, numBlocks).ToArray();
        if (InputScales.Length != numBlocks)
            throw new ArgumentException($"router input scales hold {InputScales.Length} values; {numBlocks} routers need one each");
        for (int l = 0; l < numBlocks; l++)
            if (!float.IsFinite(InputScales[l]) || InputScales[l] <= 0)
                throw new ArgumentException($"router {l}'s input scale must be finite and > 0, got {InputScales[l]}");
        _routers = Enumerable.Range(0, numBlocks).Select(l => new Router(parameters, l * ParametersPerRouter, InputScales, l, dim, hidden)).ToArray();
    }

    /// <summary>Fresh routers: Xavier-uniform weights from <paramref name="seed"/>, zero biases, the given input scales (null: 1).</summary>
    public static RouterSet Create(int numBlocks, int dim, ulong seed, int hidden = DefaultHidden, int windows = DefaultWindows,
        float[]? inputScales = null)
    {
        var set = new RouterSet(numBlocks, dim, hidden, windows, new float[(long)numBlocks * Router.ParameterCount(dim, hidden)], inputScales);
        var rng = new SplitMix(seed);
        foreach (var r in set._routers) r.Initialise(rng);
        return set;
    }

    public int NumBlocks { get; }
    public int Dim { get; }
    public int Hidden { get; }
    /// <summary>W, the most windows a prompt is pooled into.</summary>
    public int Windows { get; }
    public int ParametersPerRouter { get; }
    public float[] Parameters { get; }
    /// <summary>Per block, the fixed factor on the router's pooled input (not trained; 1 = the paper's router).</summary>
    public float[] InputScales { get; }
    public Router this[int block] => _routers[block];

    /// <summary>
    /// The budget knob τ (issue 14): a router's skip or repeat is taken only if its softmax probability is at least τ;
    /// below, the block executes once. 0: plain argmax, the paper's rule; 1: the default path. Set from the checkpoint
    /// (<see cref="RouterMetadata.DecisionThreshold"/>), so every routed run of these routers uses the same rule. The
    /// reference code instead blends the probabilities toward execute with a router_penalty (METHOD.md).
    /// </summary>
    public double DecisionThreshold
    {
        get => _threshold;
        set => _threshold = value is >= 0 and <= 1 ? value
            : throw new ArgumentException($"the decision threshold τ must be in [0, 1], got {value}");
    }
    private double _threshold;

    public RouterSet Clone() =>
        new(NumBlocks, Dim, Hidden, Windows, (float[])Parameters.Clone(), (float[])InputScales.Clone()) { DecisionThreshold = DecisionThreshold };

    /// <summary>
    /// Router <paramref name="block"/>'s decision for the hidden states entering it over the prompt, hidden [T, d]:
    /// pool into windows, run the MLP on each, average the logits, argmax (0 skip, 1 execute, 2 repeat), and execute
    /// instead of a skip or repeat whose probability is below <see cref="DecisionThreshold"/>.
    /// </summary>
    public int Decide(int block, ReadOnlySpan<float> hidden, int tokens, Span<float> logits)
    {
        int w = WindowPooling.WindowCount(tokens, Windows);
        var means = new float[w * Dim];
        var pre = new float[w * Hidden];
        var act = new float[w * Hidden];
        WindowPooling.Forward(hidden, tokens, Dim, Windows, means);
        _routers[block].Forward(means, w, pre, act, logits);
        int best = Ops.Argmax(logits[..Router.Classes]);
        return best != 1 && Probability(logits[..Router.Classes], best) < _threshold ? 1 : best;
    }

    /// <summary>softmax(<paramref name="logits"/>)[<paramref name="c"/>].</summary>
    public static double Probability(ReadOnlySpan<float> logits, int c)
    {
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp(z - logits[c]);
        return 1 / sum;
    }
}
