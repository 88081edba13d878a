using DrLlm.Engine.Model;

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
            Nodes = [Node(LayerPath.Default(numBlocks), parent: -1)],
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
            bool r = Evaluate(PathOf(root), evaluator);
            _s.DefaultCorrect = r;
            root.Visits = 1;
            root.ValueSum = r ? 1 : 0;
        }
        if (_s.Simulations >= o.Simulations) return Finish("budget");

        int node = _s.PendingStop is { } pending ? UnvisitedChild(pending.Parent) : Select();
        var path = PathOf(_s.Nodes[node]);
        bool reward = Evaluate(path, evaluator);
        for (int n = node; n != -1; n = _s.Nodes[n].Parent)
        {
            _s.Nodes[n].Visits++;
            if (reward) _s.Nodes[n].ValueSum += 1;
        }
        _s.Simulations++;

        if (reward && _s.PendingStop is null && EarlyStopReason(path) is { } reason)
        {
            if (!o.EarlyStopAfterSiblings) return Finish(reason);
            _s.PendingStop = new PendingStop(reason, _s.Nodes[node].Parent);
        }
        if (_s.PendingStop is { } stop && UnvisitedChild(stop.Parent) < 0) return Finish(stop.Reason);
        if (_s.Simulations >= o.Simulations) return Finish("budget");
        return true;
    }

    /// <summary>
    /// Why a correct <paramref name="path"/> ends the search (METHOD.md's early stop): it fixes a wrong default, or it
    /// saves at least <see cref="SearchOptions.EarlyStopThreshold"/> steps. Null: the search goes on.
    /// </summary>
    private string? EarlyStopReason(LayerPath path)
    {
        var o = _s.Options;
        if (o.EarlyStopOnFix && _s.DefaultCorrect == false) return "fixed";
        int threshold = o.EarlyStopThreshold(_s.NumBlocks);
        if (threshold > 0 && path.Length <= _s.NumBlocks - threshold) return "shorter";
        return null;
    }

    /// <summary>The first child of <paramref name="node"/>, in action order, that has not been visited; -1 if none.</summary>
    private int UnvisitedChild(int node)
    {
        foreach (var c in _s.Nodes[node].Children!)
            if (_s.Nodes[c].Visits == 0) return c;
        return -1;
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
            - o.LengthPenalty * PathOf(c).Length / _s.NumBlocks;
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
        foreach (var child in PathActions.Children(PathOf(n), _s.Options))
        {
            n.Children.Add(_s.Nodes.Count);
            _s.Nodes.Add(Node(child, node));
        }
        return n.Children;
    }

    private static SearchNode Node(LayerPath path, int parent) => new() { Steps = [.. path.Steps], Parent = parent, Path = path };

    /// <summary>A node's path; a state built in code rather than read by <see cref="SearchState.FromJson"/> gets it here.</summary>
    private LayerPath PathOf(SearchNode n) => n.Path ??= LayerPath.Create(n.Steps, _s.NumBlocks);

    private bool Evaluate(LayerPath path, IPathEvaluator evaluator)
    {
        var key = path.ToString();
        if (!_s.Memo.TryGetValue(key, out bool r)) _s.Memo[key] = r = evaluator.IsCorrect(path.Steps);
        return r;
    }

    private bool Finish(string reason)
    {
        _s.StopReason = reason;
        return false;
    }

    /// <summary>
    /// The shortest correct path found; among equally short ones the default path if <see cref="SearchOptions.DefaultWinsTies"/>,
    /// then fewer distinct blocks (METHOD.md), then the lexicographically smallest step sequence — an order on the paths
    /// themselves, so the label depends only on which paths were evaluated, never on the order they were. No correct
    /// path → no label.
    /// </summary>
    public SearchResult Result()
    {
        var root = _s.Options.DefaultWinsTies ? LayerPath.Default(_s.NumBlocks) : null;
        LayerPath? best = null;
        foreach (var (key, correct) in _s.Memo)
        {
            if (!correct) continue;
            var path = LayerPath.Parse(key, _s.NumBlocks);
            if (best is null || Better(path, best)) best = path;
        }
        return new SearchResult(_s.DefaultCorrect ?? false, best is null ? null : [.. best.Steps], best is not null,
            best?.BlockCounts(), _s.Simulations, _s.Memo.Count, _s.StopReason);

        bool Better(LayerPath a, LayerPath b)
        {
            if (a.Length != b.Length) return a.Length < b.Length;
            if (root is not null && (a.Equals(root) || b.Equals(root))) return a.Equals(root);
            int da = a.DistinctBlocks(), db = b.DistinctBlocks();
            if (da != db) return da < db;
            for (int i = 0; i < a.Length; i++)
                if (a[i] != b[i]) return a[i] < b[i];
            return false;
        }
    }
}
