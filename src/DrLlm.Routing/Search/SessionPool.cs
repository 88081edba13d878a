using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>
/// A few inference sessions of one model for the path search. Each path evaluation reuses the stored run that shares
/// the longest step prefix with it, so it can reuse the work of its parent, the root or a sibling evaluated a few
/// simulations ago, not only of the very last path. Memory grows with the size: each session keeps the residual stream
/// per step for its prompt and generated tokens.
/// </summary>
public sealed class SessionPool : IDisposable
{
    private readonly InferenceSession[] _sessions;
    private readonly long[] _lastUse;
    private long _clock;

    public SessionPool(Decoder model, int size = 4)
    {
        if (size < 1) throw new ArgumentException($"a session pool needs at least one session, got {size}");
        _sessions = Enumerable.Range(0, size).Select(_ => model.CreateSession()).ToArray();
        _lastUse = new long[size];
    }

    /// <summary>
    /// The pool size a search gets unless told otherwise: enough sessions that a path nearly always finds its parent's
    /// run still stored (on the demo model the block runs saved stop growing at about 32: 41% with 4 sessions, 45.5% with
    /// 32, 45.8% with 128), but no more than fit in <paramref name="budgetBytes"/> of session state for prompts plus
    /// answers of <paramref name="rows"/> tokens: per session, the residual stream entering each of the 2L + 1 steps and
    /// the keys and values of each of the 2L steps. At least 2, so the root's run survives its first child.
    /// </summary>
    public static int AutoSize(ModelConfig config, int rows = 512, long budgetBytes = 1L << 30, int max = 32)
    {
        long steps = 2L * config.NumLayers;
        long perSession = ((steps + 1) * config.HiddenSize + steps * 2L * config.KvDim) * rows * sizeof(float);
        return (int)Math.Clamp(budgetBytes / perSession, 2, max);
    }

    public int Size => _sessions.Length;
    public ModelConfig Config => _sessions[0].Config;

    /// <summary>Turns prefix reuse on or off in every session (off: the recompute-everything baseline).</summary>
    public bool ReusePrefix
    {
        get => _sessions[0].ReusePrefix;
        set { foreach (var s in _sessions) s.ReusePrefix = value; }
    }

    public long BlockRuns => _sessions.Sum(s => s.BlockRuns);
    public long BlockRunsSaved => _sessions.Sum(s => s.BlockRunsSaved);

    /// <summary>
    /// The session to evaluate <paramref name="steps"/> on for <paramref name="prompt"/>. The session whose stored run
    /// shares most steps stays as it is (the root's run, say, serves many children); the least recently used other
    /// session receives a copy of those shared steps and runs the path. A copy is memory traffic only, far cheaper than
    /// the block runs it saves, and keeps the most useful runs in the pool instead of overwriting them. Among sources
    /// that share equally the most recently used wins, so a run that keeps serving (the root's) is never the least
    /// recently used one that the next copy overwrites. A path that shares nothing runs in the least recently used
    /// session.
    /// </summary>
    public InferenceSession For(ReadOnlySpan<int> prompt, ReadOnlySpan<int> steps)
    {
        int source = 0, shared = -1;
        for (int i = 0; i < _sessions.Length; i++)
        {
            int s = _sessions[i].ReusableSteps(prompt, steps);
            if (s > shared || (s == shared && _lastUse[i] > _lastUse[source])) { source = i; shared = s; }
        }
        // Shared steps stay where they are: the path runs in another session, which first receives a copy of them.
        bool copy = shared > 0 && _sessions.Length > 1;
        int target = LeastRecentlyUsed(except: copy ? source : -1);
        if (copy)
        {
            _sessions[target].CopyStoredRun(_sessions[source], shared);
            _lastUse[source] = ++_clock;
        }
        _lastUse[target] = ++_clock;
        return _sessions[target];
    }

    private int LeastRecentlyUsed(int except)
    {
        int best = -1;
        for (int i = 0; i < _sessions.Length; i++)
            if (i != except && (best < 0 || _lastUse[i] < _lastUse[best])) best = i;
        return best;
    }

    public void Dispose()
    {
        foreach (var s in _sessions) s.Dispose();
    }
}
