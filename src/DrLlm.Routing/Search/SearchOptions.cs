namespace DrLlm.Routing.Search;

/// <summary>
/// Length-aware MCTS settings. The selection and budget defaults are the paper's (METHOD.md, "Search"); the early stop
/// and the choice among equally short correct paths are this project's (issue 14), so that an example's label depends
/// on the example rather than on the search's random order. Each deviation names the paper's setting that restores it.
/// </summary>
public sealed record SearchOptions
{
    /// <summary>MCTS iterations per example (the reference code's 200 is CoLa's setting; Dr.LLM uses 50).</summary>
    public int Simulations { get; init; } = 50;
    /// <summary>UCB exploration constant c.</summary>
    public double Exploration { get; init; } = 1.8;
    /// <summary>Length penalty λ in selection: UCB − λ·|path|/L. It never touches the backed-up reward.</summary>
    public double LengthPenalty { get; init; } = 3.0;
    /// <summary>Probability of taking a uniformly random child instead of the UCB choice.</summary>
    public double RandomChildProbability { get; init; } = 0.1;
    /// <summary>Longest run of consecutive steps one skip action removes.</summary>
    public int MaxSkip { get; init; } = 2;
    /// <summary>Whether repeat actions are generated.</summary>
    public bool AllowRepeat { get; init; } = true;
    /// <summary>
    /// The fewest steps a correct path must save (be shorter than L) to stop the search early, whatever the depth; the
    /// threshold is the larger of this and <see cref="EarlyStopSavedFraction"/>·L (<see cref="EarlyStopThreshold"/>).
    /// Both 0: no early stop for savings. The paper's setting is 2 steps with no fraction.
    /// </summary>
    public int EarlyStopSavedSteps { get; init; } = 1;
    /// <summary>
    /// The early stop's savings as a share of the depth, rounded down: 1/14 asks for 2 steps on the paper's 28-, 32- and
    /// 36-layer models (its fixed 2) and 1 step on a model under 28 blocks. A fixed 2 asks an 8-block model for 25% of its
    /// depth instead of 7%: few examples reach it, and those searches run until the budget, where the label is whichever
    /// of many equally short paths the random order happened to evaluate (issue 14: two seeds agreed on 68% / 49%).
    /// </summary>
    public double EarlyStopSavedFraction { get; init; } = 1.0 / 14;
    /// <summary>Stop once a wrong default answer has been fixed by some path.</summary>
    public bool EarlyStopOnFix { get; init; } = true;
    /// <summary>
    /// Before an early stop, evaluate the remaining siblings of the path that triggered it (its parent's children, in
    /// action order), so that the label is the best of a set the random order does not choose: for a stop among the
    /// root's children, all of them. Off: stop at once, as the paper does; the label is then the first qualifying path
    /// the random order reached.
    /// </summary>
    public bool EarlyStopAfterSiblings { get; init; } = true;
    /// <summary>
    /// A correct default path wins against every correct path of its length: a path that skips one block and repeats
    /// another does not replace it because it runs fewer distinct blocks. Off: the paper's tie-break alone (fewer
    /// distinct blocks), which prefers such a deviation.
    /// </summary>
    public bool DefaultWinsTies { get; init; } = true;

    /// <summary>Steps a correct path must save to stop a search over <paramref name="numBlocks"/> blocks early; 0: never.</summary>
    public int EarlyStopThreshold(int numBlocks) =>
        Math.Max(EarlyStopSavedSteps, (int)Math.Floor(EarlyStopSavedFraction * numBlocks + 1e-9));

    /// <summary><paramref name="options"/> with the paper's early stop and tie-break (METHOD.md) in place of this project's.</summary>
    public static SearchOptions PaperLabels(SearchOptions options) => options with
    {
        EarlyStopSavedSteps = 2,
        EarlyStopSavedFraction = 0,
        EarlyStopAfterSiblings = false,
        DefaultWinsTies = false,
    };

    public void Validate()
    {
        if (Simulations < 0) throw new ArgumentException($"simulations must be ≥ 0, got {Simulations}");
        if (Exploration < 0) throw new ArgumentException($"exploration constant c must be ≥ 0, got {Exploration}");
        if (LengthPenalty < 0) throw new ArgumentException($"length penalty λ must be ≥ 0, got {LengthPenalty}");
        if (RandomChildProbability is < 0 or > 1) throw new ArgumentException($"random child probability must be in [0, 1], got {RandomChildProbability}");
        if (MaxSkip < 1) throw new ArgumentException($"max skip must be ≥ 1, got {MaxSkip}");
        if (EarlyStopSavedSteps < 0) throw new ArgumentException($"early-stop saved steps must be ≥ 0, got {EarlyStopSavedSteps}");
        if (EarlyStopSavedFraction is < 0 or > 1) throw new ArgumentException($"early-stop saved fraction must be in [0, 1], got {EarlyStopSavedFraction}");
    }
}
