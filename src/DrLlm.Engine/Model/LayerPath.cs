namespace DrLlm.Engine.Model;

/// <summary>
/// The ordered block indices a forward pass runs (METHOD.md "Layer paths"). <c>0 1 1 3</c> on a 4-block
/// model repeats block 1 and skips block 2. A block appears at most twice and its two runs are adjacent;
/// the path never exceeds 2L steps. Each step owns its own KV-cache entry. This type is the one home of those rules
/// and of the router labels y_l = count(l in path): the engine checks paths with them, the search builds its moves with
/// <see cref="WithoutSteps"/> and <see cref="WithRepeat"/>, routers read and write <see cref="BlockCounts"/>.
/// </summary>
public sealed class LayerPath : IEquatable<LayerPath>
{
    private readonly int[] _steps;

    public int NumBlocks { get; }
    public IReadOnlyList<int> Steps => _steps;
    public int Length => _steps.Length;
    public int this[int step] => _steps[step];

    private LayerPath(int[] steps, int numBlocks)
    {
        _steps = steps;
        NumBlocks = numBlocks;
    }

    /// <summary>The default path 0 .. L-1.</summary>
    public static LayerPath Default(int numBlocks) => new(Enumerable.Range(0, numBlocks).ToArray(), numBlocks);

    /// <summary>Validates and builds a path; throws <see cref="ArgumentException"/> that names the offending step.</summary>
    public static LayerPath Create(IEnumerable<int> steps, int numBlocks)
    {
        var s = steps.ToArray();
        if (numBlocks <= 0) throw new ArgumentException($"numBlocks must be positive, got {numBlocks}");
        if (s.Length == 0) throw new ArgumentException("layer path is empty: at least one block must run");
        CheckLength(s.Length, numBlocks);
        for (int i = 0; i < s.Length; i++)
            CheckStep(i, s[i], i > 0 ? s[i - 1] : -1, i > 1 ? s[i - 2] : -1, numBlocks);
        return new LayerPath(s, numBlocks);
    }

    /// <summary>
    /// The rules for step <paramref name="step"/> running <paramref name="block"/> after <paramref name="previous"/> and
    /// <paramref name="beforePrevious"/> (-1 when absent): a real block, never going back, at most two runs of a block
    /// (in order, its runs are adjacent). Shared by <see cref="Create"/> and the step-by-step prefill.
    /// </summary>
    internal static void CheckStep(int step, int block, int previous, int beforePrevious, int numBlocks)
    {
        if ((uint)block >= (uint)numBlocks)
            throw new ArgumentException($"layer path step {step} is block {block}; the model has blocks 0..{numBlocks - 1}");
        if (previous >= 0 && block < previous)
            throw new ArgumentException($"layer path step {step} goes back from block {previous} to {block}; blocks must be in order (repeats adjacent)");
        if (block == previous && block == beforePrevious)
            throw new ArgumentException($"layer path runs block {block} more than twice (step {step}); at most one repeat per block");
    }

    /// <summary>A path never exceeds 2L steps.</summary>
    internal static void CheckLength(int steps, int numBlocks)
    {
        if (steps > 2 * numBlocks)
            throw new ArgumentException($"layer path has {steps} steps; at most 2L = {2 * numBlocks} are allowed");
    }

    /// <summary>Parses "0,1,1,3" (commas or spaces).</summary>
    public static LayerPath Parse(string text, int numBlocks)
    {
        var parts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var steps = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out steps[i]))
                throw new ArgumentException($"layer path '{text}': step {i} ('{parts[i]}') is not an integer");
        return Create(steps, numBlocks);
    }

    /// <summary>Per-block router labels y_l = count(l in path) in {0,1,2}.</summary>
    public int[] BlockCounts()
    {
        var c = new int[NumBlocks];
        foreach (var b in _steps) c[b]++;
        return c;
    }

    /// <summary>
    /// The path whose router labels are <paramref name="counts"/> (block l run counts[l] times, in order): the inverse
    /// of <see cref="BlockCounts"/>. Throws naming the block whose count is not 0 (skip), 1 (execute) or 2 (repeat).
    /// </summary>
    public static LayerPath FromBlockCounts(IReadOnlyList<int> counts)
    {
        var steps = new List<int>();
        for (int l = 0; l < counts.Count; l++)
        {
            if ((uint)counts[l] > 2)
                throw new ArgumentException($"label {counts[l]} at block {l} is not 0 (skip), 1 (execute) or 2 (repeat)");
            for (int r = 0; r < counts[l]; r++) steps.Add(l);
        }
        return Create(steps, counts.Count);
    }

    /// <summary>Number of different blocks the path runs (a repeated block counts once).</summary>
    public int DistinctBlocks()
    {
        int distinct = 0;
        for (int i = 0; i < _steps.Length; i++)
            if (i == 0 || _steps[i] != _steps[i - 1]) distinct++; // a block's runs are adjacent
        return distinct;
    }

    /// <summary>
    /// This path with the <paramref name="count"/> consecutive steps from <paramref name="start"/> left out; null when
    /// nothing would be left (no path is empty). Leaving steps out keeps the rules: order stays, no count grows.
    /// </summary>
    public LayerPath? WithoutSteps(int start, int count)
    {
        if (start < 0 || count < 1 || start + count > _steps.Length)
            throw new ArgumentOutOfRangeException(nameof(count), $"steps {start}..{start + count - 1} are not all in this {_steps.Length}-step path");
        if (count == _steps.Length) return null;
        return new LayerPath([.. _steps.AsSpan(0, start), .. _steps.AsSpan(start + count)], NumBlocks);
    }

    /// <summary>
    /// This path with step <paramref name="step"/> run twice, the copy right after it; null where the rules forbid it:
    /// its block already runs twice (the reference implementation repeats a block again and again; METHOD.md allows one
    /// repeat, so labels stay in {0, 1, 2}). That rule alone keeps a path within 2L steps.
    /// </summary>
    public LayerPath? WithRepeat(int step)
    {
        if ((uint)step >= (uint)_steps.Length)
            throw new ArgumentOutOfRangeException(nameof(step), $"step {step} is not in this {_steps.Length}-step path");
        int block = _steps[step];
        bool twice = (step > 0 && _steps[step - 1] == block) || (step + 1 < _steps.Length && _steps[step + 1] == block);
        if (twice) return null;
        return new LayerPath([.. _steps.AsSpan(0, step + 1), .. _steps.AsSpan(step)], NumBlocks);
    }

    /// <summary>Number of leading steps this path shares with <paramref name="other"/>.</summary>
    public int CommonPrefixLength(LayerPath other)
    {
        int n = Math.Min(Length, other.Length), k = 0;
        while (k < n && _steps[k] == other._steps[k]) k++;
        return k;
    }

    public bool Equals(LayerPath? other) =>
        other is not null && NumBlocks == other.NumBlocks && _steps.AsSpan().SequenceEqual(other._steps);
    public override bool Equals(object? obj) => Equals(obj as LayerPath);
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(NumBlocks);
        foreach (var s in _steps) h.Add(s);
        return h.ToHashCode();
    }
    /// <summary>"0,1,1,3": the form <see cref="Parse"/> reads, and the path's key in the search's memo and saved state.</summary>
    public override string ToString() => string.Join(",", _steps);
}
