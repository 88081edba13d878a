namespace DrLlm.Tasks.Synthetic;

/// <summary>
/// <c>ood-count</c> (out of domain, numeric): how often a letter occurs in a short string. Close enough to the
/// in-domain skills (reading symbols, answering with a number) that a small model may do better than chance, never
/// part of a training mix. Level = string length and alphabet size:
/// 1: 5 letters of 2 kinds, 2: 8 of 2, 3: 10 of 3, 4: 14 of 3, 5: 18 of 4.
/// "Q: How many b in abbab? A:" → " 3"
/// </summary>
public sealed class OodCountFamily : SyntheticFamily
{
    public override string Name => "ood-count";
    public override string Description => "out of domain, numeric: count the occurrences of a letter in a short string";
    public override Grading Grading => Grading.MathAnswer;
    public override bool InDomain => false;
    public override int NewTokens => 4; // " 18\n"

    private static readonly (int Length, int Kinds)[] Shape = [(5, 2), (8, 2), (10, 3), (14, 3), (18, 4)];

    protected override GeneratedQuestion Generate(SeededRandom rng, int level)
    {
        var (length, kinds) = Shape[level - 1];
        var alphabet = rng.Shuffled("abcdxyz").Take(kinds).ToArray();
        var text = new string(Enumerable.Range(0, length).Select(_ => rng.Pick(alphabet)).ToArray());
        char target = rng.Pick(alphabet);
        return new GeneratedQuestion($"How many {target} in {text}?", null, text.Count(c => c == target).ToString());
    }
}

/// <summary>
/// <c>ood-order</c> (out of domain, multiple choice): which of four made-up words comes first (or last) in
/// alphabetical order. Related to the in-domain "which is smallest" questions, but over letters instead of numbers.
/// 1: first, first letters all differ; 2: last, first letters differ; 3: first, some words share a first letter;
/// 4: last, some share a first letter; 5: first or last, all share the first letter (decided by later letters).
/// "Q: Which comes first in ABC order? (A) dof (B) kal (C) bir (D) sen Answer:" → " C"
/// </summary>
public sealed class OodOrderFamily : SyntheticFamily
{
    public override string Name => "ood-order";
    public override string Description => "out of domain, multiple choice: which word comes first or last in alphabetical order";
    public override Grading Grading => Grading.MultipleChoiceLetter;
    public override bool InDomain => false;
    public override int NewTokens => 2;

    private const string Consonants = "bdfgklmnprstvz";
    private const string Vowels = "aeiou";

    protected override GeneratedQuestion Generate(SeededRandom rng, int level)
    {
        bool first = level switch { 1 or 3 => true, 2 or 4 => false, _ => rng.Coin() };
        var words = new List<string>();
        char shared = rng.Pick(Consonants.ToArray());
        while (words.Count < 4)
        {
            string w = Word(rng);
            w = level switch
            {
                1 or 2 when words.Any(x => x[0] == w[0]) => "",
                3 or 4 when words.Count < 2 => shared + w[1..],
                5 => shared + w[1..],
                _ => w,
            };
            if (w.Length > 0 && !words.Contains(w)) words.Add(w);
        }
        var sorted = words.Order(StringComparer.Ordinal).ToList();
        var answer = first ? sorted[0] : sorted[^1];
        var (choices, gold) = Options(rng, answer, words.Where(x => x != answer));
        return new GeneratedQuestion(first ? "Which comes first in ABC order?" : "Which comes last in ABC order?", choices, gold);
    }

    private static string Word(SeededRandom rng) =>
        $"{rng.Pick(Consonants.ToArray())}{rng.Pick(Vowels.ToArray())}{rng.Pick(Consonants.ToArray())}";
}
