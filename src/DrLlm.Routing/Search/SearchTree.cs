namespace DrLlm.Routing.Search;

/// <summary>Judges one path: greedy generation under it, graded (METHOD.md). Called once per distinct path.</summary>
public interface IPathEvaluator
{
    bool IsCorrect(IReadOnlyList<int> steps);
}

/// <summary>What a finished (or stopped) search yields for its example.</summary>
public sealed record SearchResult(
    bool DefaultCorrect,
    int[]? BestPath,
    bool BestCorrect,
    int[]? Labels,
    int Simulations,
    int PathsEvaluated,
    string? StopReason);

/// <summary>
/// Length-aware Monte Carlo Tree Search over layer paths for one example (METHOD.md, "Search"). Nodes are paths, the
/// root the default path; a simulation walks down by UCB, expands one unvisited child, evaluates its path (memoised)
/// and backs the raw reward up. The search is a state machine over <see cref="SearchState"/>: <see cref="Step"/> runs
/// one simulation, so a caller can checkpoint between any two.
/// </summary>
public sealed class SearchTree
{
    private readonly SearchState _s;
    private readonly SplitMix _rng;

    public SearchState State
    {
        get
        {
            _s.Rng = _rng.State;
            return _s;
        }
    }

    public bool IsFinished => _s.StopReason is not null;
    public int NumBlocks => _s.NumBlocks;

    public SearchTree(int numBlocks, SearchOptions options, ulong seed)
    {
        options.Validate();
        if (numBlocks < 1) throw new ArgumentException($"numBlocks must be ≥ 1, got {numBlocks}");
        _rng = new SplitMix(seed);
        _s = new SearchState
        {
            NumBlocks = numBlocks,
            Options = options,
            Nodes = [new SearchNode { Steps = Enumerable.Range(0, numBlocks).ToArray(), Parent = -1 }],
            Memo = [],
            Rng = _rng.State,
        };
    }

    private SearchTree(SearchState state)
    {
        _s = state;
        _rng = new SplitMix(state.Rng);
    }

    public static SearchTree Resume(SearchState state) => new(state);

    /// <summary>Runs simulations until the search ends; <paramref name="afterEach"/> sees every simulation boundary.</summary>
    public SearchResult Run(IPathEvaluator evaluator, Action<SearchTree>? afterEach = null)
    {
        while (Step(evaluator)) afterEach?.Invoke(this);
        return Result();
    }

    /// <summary>One simulation (the first call also evaluates the default path). False once the search has ended.</summary>
    public bool Step(IPathEvaluator evaluator)
    {
        if (IsFinished) return false;
        var o = _s.Options;
        var root = _s.Nodes[0];
        if (_s.DefaultCorrect is null)
        {
            bool r = Evaluate(root.Steps, evaluator);
            _s.DefaultCorrect = r;
            root.Visits = 1;
            root.ValueSum = r ? 1 : 0;
        }
        if (_s.Simulations >= o.Simulations) return Finish("budget");

        int node = Select();
        bool reward = Evaluate(_s.Nodes[node].Steps, evaluator);
        for (int n = node; n != -1; n = _s.Nodes[n].Parent)
        {
            _s.Nodes[n].Visits++;
            if (reward) _s.Nodes[n].ValueSum += 1;
        }
        _s.Simulations++;

        if (reward && o.EarlyStopOnFix && _s.DefaultCorrect == false) return Finish("fixed");
        if (reward && o.EarlyStopSavedSteps > 0 && _s.Nodes[node].Steps.Length <= _s.NumBlocks - o.EarlyStopSavedSteps)
            return Finish("shorter");
        if (_s.Simulations >= o.Simulations) return Finish("budget");
        return true;
    }

    /// <summary>
    /// Walks from the root: a node with unvisited children expands one of them (chosen at random); a node whose
    /// children are all visited descends to the UCB-best child, or with probability p to a random one; a node without
    /// children is itself the end of the walk.
    /// </summary>
    private int Select()
    {
        var o = _s.Options;
        int node = 0;
        while (true)
        {
            var children = Expand(node);
            if (children.Count == 0) return node;
            int unvisited = 0;
            foreach (var c in children) if (_s.Nodes[c].Visits == 0) unvisited++;
            if (unvisited > 0)
            {
                int pick = _rng.Next(unvisited);
                foreach (var c in children)
                    if (_s.Nodes[c].Visits == 0 && pick-- == 0) return c;
            }
            if (_rng.NextDouble() < o.RandomChildProbability) { node = children[_rng.Next(children.Count)]; continue; }
            node = BestByUcb(node, children);
        }
    }

    /// <summary>
    /// UCB = Q/n + c·sqrt(ln N / n) − λ·|path|/L with N the parent's visits. The reference implementation uses a
    /// global visit count for N; METHOD.md calls that a bug and uses the parent's, as MCTS prescribes.
    /// </summary>
    internal double Ucb(int parent, int child)
    {
        var o = _s.Options;
        var p = _s.Nodes[parent];
        var c = _s.Nodes[child];
        return c.ValueSum / c.Visits
            + o.Exploration * Math.Sqrt(Math.Log(p.Visits) / c.Visits)
            - o.LengthPenalty * c.Steps.Length / _s.NumBlocks;
    }

    private int BestByUcb(int parent, List<int> children)
    {
        int best = children[0];
        double bestValue = double.NegativeInfinity;
        foreach (var c in children)
        {
            double v = Ucb(parent, c);
            if (v > bestValue) { bestValue = v; best = c; } // ties: the first in action order
        }
        return best;
    }

    private List<int> Expand(int node)
    {
        var n = _s.Nodes[node];
        if (n.Children is not null) return n.Children;
        n.Children = [];
        foreach (var steps in PathActions.Children(n.Steps, _s.NumBlocks, _s.Options))
        {
            n.Children.Add(_s.Nodes.Count);
            _s.Nodes.Add(new SearchNode { Steps = steps, Parent = node });
        }
        return n.Children;
    }

    private bool Evaluate(int[] steps, IPathEvaluator evaluator)
    {
        var key = PathActions.Key(steps);
        if (!_s.Memo.TryGetValue(key, out bool r)) _s.Memo[key] = r = evaluator.IsCorrect(steps);
        return r;
    }

    private bool Finish(string reason)
    {
        _s.StopReason = reason;
        return false;
    }

    /// <summary>
    /// The shortest correct path found, ties broken by fewer distinct blocks (then by the path's text, for determinism).
    /// No correct path → no label.
    /// </summary>
    public SearchResult Result()
    {
        int[]? best = null;
        foreach (var (key, correct) in _s.Memo)
        {
            if (!correct) continue;
            var steps = key.Split(',').Select(int.Parse).ToArray();
            if (best is null || Better(steps, best)) best = steps;
        }
        return new SearchResult(_s.DefaultCorrect ?? false, best, best is not null,
            best is null ? null : PathActions.Labels(best, _s.NumBlocks), _s.Simulations, _s.Memo.Count, _s.StopReason);

        static bool Better(int[] a, int[] b)
        {
            if (a.Length != b.Length) return a.Length < b.Length;
            int da = a.Distinct().Count(), db = b.Distinct().Count();
            if (da != db) return da < db;
            return string.CompareOrdinal(PathActions.Key(a), PathActions.Key(b)) < 0;
        }
    }
}
