namespace DrLlm.Tasks.Synthetic;

/// <summary>What a generator makes: the question, the options (multiple choice) and the answer.</summary>
public sealed record GeneratedQuestion(string Question, IReadOnlyList<string>? Choices, string Gold);

/// <summary>
/// A seeded, procedurally generated task family with difficulty levels and fixed train/validation/test splits.
///
/// <para><b>Splits.</b> A question's split is a function of its content alone: a stable hash of (family, question,
/// sorted options) puts 80% of the question space in train, 10% in validation, 10% in test
/// (<see cref="SplitOf"/>). So no question can appear in two splits, whatever seeds or indices produced it, and a
/// model trained on any number of train items never sees a test question. Item (family, split, index, seed) draws
/// candidates from a generator seeded by (family, seed, split, index, level, attempt) until one falls in the split; the same
/// arguments always give the same item, and any index can be made without the ones before it.</para>
///
/// <para><b>Levels.</b> Unless a level is asked for, item i's level is drawn uniformly from
/// <see cref="MinLevel"/>..<see cref="MaxLevel"/> by a hash of (seed, split, i).</para>
/// </summary>
public abstract class SyntheticFamily
{
    public static readonly IReadOnlyList<string> SplitNames = ["train", "validation", "test"];

    public abstract string Name { get; }
    public abstract string Description { get; }
    public abstract Grading Grading { get; }

    /// <summary>In-domain families make up training mixes; out-of-domain ones are held out for evaluation only.</summary>
    public abstract bool InDomain { get; }

    /// <summary>Base-model new-token budget, set to fit the longest answer plus the stop marker.</summary>
    public abstract int NewTokens { get; }

    public virtual int MinLevel => 1;
    public virtual int MaxLevel => 5;

    /// <summary>One question of <paramref name="level"/>; all randomness from <paramref name="rng"/>.</summary>
    protected abstract GeneratedQuestion Generate(SeededRandom rng, int level);

    /// <summary>
    /// What seeds a level's questions (with family, seed, split, index and attempt): its number unless a family says
    /// otherwise. A family that puts easier levels in front of existing ones keys the existing generators by their old
    /// numbers, so their questions stay the same under the new numbering (see <see cref="McqFamily"/>).
    /// </summary>
    protected virtual string LevelKey(int level) => level.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"train", "validation" or "test": where a question with this content belongs (see the class summary).</summary>
    public string SplitOf(string question, IReadOnlyList<string>? choices)
    {
        var key = choices is null ? question : question + "\u0001" + string.Join("\u0001", choices.Order(StringComparer.Ordinal));
        var bucket = SeededRandom.Hash("split", Name, key) % 100;
        return bucket < 80 ? "train" : bucket < 90 ? "validation" : "test";
    }

    /// <summary>The item at <paramref name="index"/> of a split; <paramref name="level"/> null = a level drawn per item.</summary>
    public TaskItem Item(string split, int index, int seed = 0, int? level = null) =>
        level is { } l ? Item(split, index, seed, l, l) : Item(split, index, seed, MinLevel, MaxLevel);

    /// <summary>
    /// The item at <paramref name="index"/> of a split with its level drawn evenly from <paramref name="minLevel"/>..
    /// <paramref name="maxLevel"/> by a hash of (seed, split, index); over the family's whole range this is the default
    /// stream, and a range lo..hi draws level lo + (that hash mod its width), so a curriculum over a few levels is a
    /// stream of its own.
    /// </summary>
    public TaskItem Item(string split, int index, int seed, int minLevel, int maxLevel)
    {
        if (!SplitNames.Contains(split)) throw new ArgumentException($"{Name}: unknown split '{split}' (expected {string.Join(", ", SplitNames)})");
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "item index must be ≥ 0");
        foreach (var l in new[] { minLevel, maxLevel })
            if (l < MinLevel || l > MaxLevel) throw new ArgumentException($"{Name}: level {l} out of range {MinLevel}-{MaxLevel}");
        if (minLevel > maxLevel) throw new ArgumentException($"{Name}: empty level range {minLevel}-{maxLevel}");
        var s = seed.ToString(); var i = index.ToString();
        int lv = minLevel == maxLevel ? minLevel
            : minLevel + (int)(SeededRandom.Hash("level", Name, s, split, i) % (ulong)(maxLevel - minLevel + 1));
        // Expected 1.25 tries for train and 10 for validation/test; 2000 fails only if a level's question space is tiny.
        for (int attempt = 0; attempt < 2000; attempt++)
        {
            // The level is part of the seed, so fixed-level streams (level 1, level 2, …) are not copies of each other.
            var rng = new SeededRandom(SeededRandom.Hash("item", Name, s, split, i, LevelKey(lv), attempt.ToString()));
            var q = Generate(rng, lv);
            if (SplitOf(q.Question, q.Choices) != split) continue;
            return new TaskItem($"{Name}-s{seed}-{split}-{index}", Name, q.Question, q.Choices, q.Gold, Grading,
                $"{Name}:seed={seed}:{split}:{index}", lv, split, PromptLayout.Compact, NewTokens);
        }
        throw new InvalidOperationException($"{Name}: no level-{lv} question fell in split '{split}' after 2000 tries");
    }

    /// <summary>
    /// Reads "L" or "MIN-MAX" as a level range of this family; null when the text is neither (the caller names what it
    /// expected). A range outside <see cref="MinLevel"/>..<see cref="MaxLevel"/> or empty is an error naming the family.
    /// </summary>
    public (int Min, int Max)? ParseLevels(string text)
    {
        var bounds = text.Split('-');
        if (bounds.Length > 2 || !bounds.All(b => int.TryParse(b, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
            return null;
        int lo = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture), hi = int.Parse(bounds[^1], System.Globalization.CultureInfo.InvariantCulture);
        if (lo > hi || lo < MinLevel || hi > MaxLevel)
            throw new ArgumentException($"{Name}: level range {text} is not within {MinLevel}-{MaxLevel}");
        return (lo, hi);
    }

    /// <summary>Items 0, 1, 2, … of a split (an endless stream; take what you need).</summary>
    public IEnumerable<TaskItem> Items(string split, int seed = 0, int? level = null)
    {
        for (int i = 0; ; i++) yield return Item(split, i, seed, level);
    }

    /// <summary>Items 0, 1, 2, … of a split with levels drawn from <paramref name="minLevel"/>..<paramref name="maxLevel"/>.</summary>
    public IEnumerable<TaskItem> Items(string split, int seed, int minLevel, int maxLevel)
    {
        for (int i = 0; ; i++) yield return Item(split, i, seed, minLevel, maxLevel);
    }

    /// <summary>
    /// Four distinct options: <paramref name="correct"/> and three distractors drawn at random from the pool (so no
    /// fixed pattern, such as "the answer's neighbours ±1 are always there", gives the answer away), in random order.
    /// </summary>
    protected static (List<string> Choices, string Gold) Options(SeededRandom rng, string correct, IEnumerable<string> distractors)
    {
        var wrong = rng.Shuffled(distractors.Where(d => d != correct).Distinct()).Take(3).ToList();
        if (wrong.Count < 3) throw new InvalidOperationException("a generator produced fewer than 3 distinct distractors");
        var all = rng.Shuffled(wrong.Append(correct));
        return (all, TaskItem.Letter(all.IndexOf(correct)).ToString());
    }
}
