namespace DrLlm.Tasks.Synthetic;

/// <summary>
/// <c>mcq</c>: four-option multiple choice answered with a letter, the in-domain analogue of ARC.
/// <list type="table">
/// <item><term>1</term><description>find the option that is a given number: "Q: Which option is 40? (A) 12 (B) 40 (C) 7 (D) 33 Answer:" → " B"</description></item>
/// <item><term>2</term><description>largest or smallest of four digits: "Q: Which is largest? (A) 3 (B) 8 (C) 1 (D) 5 Answer:" → " B"</description></item>
/// <item><term>3</term><description>largest or smallest of four numbers: "Q: Which is largest? (A) 12 (B) 40 (C) 7 (D) 33 Answer:" → " B"</description></item>
/// <item><term>4</term><description>next term of an arithmetic sequence: "Q: Next: 3, 5, 7, 9, ? (A) 10 (B) 11 (C) 12 (D) 13 Answer:" → " B"</description></item>
/// <item><term>5</term><description>largest or smallest of four small expressions: "Q: Which is largest? (A) 3+4 (B) 2*5 (C) 9-1 (D) 6 Answer:"</description></item>
/// <item><term>6</term><description>if-then rules over symbols, two chained steps and a decoy rule: "Q: If ka then mo. If ti then pe. If mo then zu.
///   ka is true. Which is true? (A) pe (B) zu (C) ti (D) lo Answer:" → " B"</description></item>
/// <item><term>7</term><description>next term of a harder sequence (geometric, squares, Fibonacci-like, alternating steps):
///   "Q: Next: 2, 6, 18, 54, ? (A) 90 (B) 162 (C) 160 (D) 108 Answer:" → " B"</description></item>
/// </list>
/// The correct option's position is uniform over A-D.
///
/// <para>Levels 1 and 2 came later (stop 11): a 1.5M-parameter model trained 14,000 steps on levels 3-7 alone stayed at
/// chance, never learning to map the option it picks back to its letter; these two levels teach that mapping with the
/// content made trivial. Levels 3-7 are the first version's levels 1-5, and <see cref="LevelKey"/> seeds them by those
/// old numbers, so their questions are unchanged: item (split, index, seed) drawn from levels 3-7 is the first version's
/// item (split, index, seed), renumbered.</para>
/// </summary>
public sealed class McqFamily : SyntheticFamily
{
    public override string Name => "mcq";
    public override string Description => "4-option multiple choice, letter answers (ARC analogue): find a number, largest/smallest, sequences, expressions, if-then rules";
    public override Grading Grading => Grading.MultipleChoiceLetter;
    public override bool InDomain => true;
    public override int NewTokens => 2; // METHOD.md's base-model letter budget: " B"

    public override int MaxLevel => 7;

    protected override GeneratedQuestion Generate(SeededRandom rng, int level) => level switch
    {
        1 => Lookup(rng),
        2 => Extreme(rng, maxValue: 9),
        3 => Extreme(rng, maxValue: 99),
        4 => ArithmeticSequence(rng),
        5 => ExpressionExtreme(rng),
        6 => Rules(rng),
        _ => HardSequence(rng),
    };

    /// <summary>Levels 3-7 keep the seeds of the first version's levels 1-5 (see the class summary).</summary>
    protected override string LevelKey(int level) => level switch
    {
        1 => "lookup",
        2 => "digit-extreme",
        _ => base.LevelKey(level - 2),
    };

    private static GeneratedQuestion Lookup(SeededRandom rng)
    {
        var values = Distinct(rng, 4, () => rng.Int(1, 99));
        int target = values[rng.Int(0, 3)];
        var (choices, gold) = Options(rng, target.ToString(), values.Where(v => v != target).Select(v => v.ToString()));
        return new GeneratedQuestion($"Which option is {target}?", choices, gold);
    }

    private static GeneratedQuestion Extreme(SeededRandom rng, int maxValue)
    {
        var values = Distinct(rng, 4, () => rng.Int(1, maxValue));
        bool largest = rng.Coin();
        var best = largest ? values.Max() : values.Min();
        var (choices, gold) = Options(rng, best.ToString(), values.Where(v => v != best).Select(v => v.ToString()));
        return new GeneratedQuestion(largest ? "Which is largest?" : "Which is smallest?", choices, gold);
    }

    private static GeneratedQuestion ArithmeticSequence(SeededRandom rng)
    {
        int start = rng.Int(1, 20), step = rng.Int(1, 9);
        var terms = Enumerable.Range(0, 4).Select(i => start + i * step).ToList();
        int next = start + 4 * step;
        return Sequence(rng, terms, next, [next + 1, next - 1, next + 2, next - 2, next + step, terms[^1], next + 2 * step]);
    }

    private static GeneratedQuestion HardSequence(SeededRandom rng)
    {
        List<int> terms; int next;
        switch (rng.Int(0, 3))
        {
            case 0: // geometric
            {
                int a = rng.Int(1, 5), r = rng.Int(2, 3);
                terms = [a, a * r, a * r * r, a * r * r * r]; next = terms[3] * r;
                break;
            }
            case 1: // squares from k
            {
                int k = rng.Int(1, 6);
                terms = Enumerable.Range(k, 4).Select(i => i * i).ToList(); next = (k + 4) * (k + 4);
                break;
            }
            case 2: // Fibonacci-like
            {
                int a = rng.Int(1, 5), b = rng.Int(a, 9);
                terms = [a, b, a + b, a + 2 * b]; next = terms[2] + terms[3];
                break;
            }
            default: // alternating steps +p, +q
            {
                int a = rng.Int(1, 20), p = rng.Int(1, 9), q = rng.Int(1, 9);
                if (q == p) q = p % 9 + 1;
                terms = [a, a + p, a + p + q, a + 2 * p + q]; next = a + 2 * p + 2 * q;
                break;
            }
        }
        int d = terms[3] - terms[2];
        return Sequence(rng, terms, next, [terms[3] + d, next + 1, next - 1, next + 2, next - 2, terms[3] + 2 * d, next + d]);
    }

    private static GeneratedQuestion Sequence(SeededRandom rng, List<int> terms, int next, int[] distractors)
    {
        var (choices, gold) = Options(rng, next.ToString(), distractors.Where(x => x > 0).Select(x => x.ToString()));
        return new GeneratedQuestion($"Next: {string.Join(", ", terms)}, ?", choices, gold);
    }

    private static GeneratedQuestion ExpressionExtreme(SeededRandom rng)
    {
        var exprs = new List<(string Text, int Value)>();
        var seen = new HashSet<int>();
        while (exprs.Count < 4)
        {
            int a = rng.Int(1, 12), b = rng.Int(1, 9);
            (string, int) e = rng.Int(0, 3) switch
            {
                0 => ($"{a}+{b}", a + b),
                1 => ($"{a}*{b}", a * b),
                2 => ($"{a + b}-{b}", a),
                _ => ($"{a}", a),
            };
            if (seen.Add(e.Item2)) exprs.Add(e);
        }
        bool largest = rng.Coin();
        var best = largest ? exprs.MaxBy(e => e.Value) : exprs.MinBy(e => e.Value);
        var (choices, gold) = Options(rng, best.Text, exprs.Where(e => e != best).Select(e => e.Text));
        return new GeneratedQuestion(largest ? "Which is largest?" : "Which is smallest?", choices, gold);
    }

    private static readonly string[] Syllables =
        [.. from c in "bdfgklmnprstvz" from v in "aeiou" select $"{c}{v}"];

    /// <summary>
    /// Chain x→y→z plus a decoy rule u→w, given x. True: z (and y, which is never an option). Options: z, the decoy's
    /// consequent w, its antecedent u, and a symbol the rules never mention.
    /// </summary>
    private static GeneratedQuestion Rules(SeededRandom rng)
    {
        var s = rng.Shuffled(Syllables).Take(6).ToList();
        string x = s[0], y = s[1], z = s[2], u = s[3], w = s[4], other = s[5];
        var rules = rng.Shuffled(new[] { $"If {x} then {y}.", $"If {y} then {z}.", $"If {u} then {w}." });
        var (choices, gold) = Options(rng, z, [w, u, other]);
        return new GeneratedQuestion($"{string.Join(" ", rules)} {x} is true. Which is true?", choices, gold);
    }

    private static List<int> Distinct(SeededRandom rng, int count, Func<int> draw)
    {
        var set = new List<int>();
        while (set.Count < count) { var v = draw(); if (!set.Contains(v)) set.Add(v); }
        return set;
    }
}
