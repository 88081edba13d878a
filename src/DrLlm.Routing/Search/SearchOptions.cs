namespace DrLlm.Routing.Search;

/// <summary>Length-aware MCTS settings; every default is the paper's (METHOD.md, "Search").</summary>
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
    /// <summary>Stop once a correct path at least this many steps shorter than L is found (0 disables).</summary>
    public int EarlyStopSavedSteps { get; init; } = 2;
    /// <summary>Stop once a wrong default answer has been fixed by some path.</summary>
    public bool EarlyStopOnFix { get; init; } = true;

    public void Validate()
    {
        if (Simulations < 0) throw new ArgumentException($"simulations must be ≥ 0, got {Simulations}");
        if (Exploration < 0) throw new ArgumentException($"exploration constant c must be ≥ 0, got {Exploration}");
        if (LengthPenalty < 0) throw new ArgumentException($"length penalty λ must be ≥ 0, got {LengthPenalty}");
        if (RandomChildProbability is < 0 or > 1) throw new ArgumentException($"random child probability must be in [0, 1], got {RandomChildProbability}");
        if (MaxSkip < 1) throw new ArgumentException($"max skip must be ≥ 1, got {MaxSkip}");
        if (EarlyStopSavedSteps < 0) throw new ArgumentException($"early-stop saved steps must be ≥ 0, got {EarlyStopSavedSteps}");
    }
}
