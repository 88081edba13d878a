using System.Text;
using System.Text.RegularExpressions;

namespace DrLlm.Tasks.Graders;

/// <summary>
/// Extractive-QA grading as SQuAD v2's official evaluation script (evaluate-v2.0.py) does it: both sides normalised by
/// <see cref="Normalize"/> (its <c>normalize_answer</c>: lower case, ASCII punctuation removed, the articles a/an/the
/// removed, whitespace collapsed); exact match = equal normalised strings; F1 = the harmonic mean of token precision and
/// recall over the two token bags (a token counts as often as it is in both); each the maximum over the gold answers.
/// An unanswerable question has the gold answers [""]: only an empty prediction scores 1 (the script: when either side
/// has no tokens, F1 is 1 iff both have none). A model says "no answer" by answering <see cref="NoAnswer"/> (the prompt
/// asks for it) or "no answer"; either is read as the empty prediction.
///
/// <para><b>Extraction</b> (<see cref="Extract"/>): the first non-blank line of the output (a base model runs on into
/// the next question after its answer), without a leading "Answer:" or "The answer is" that an instruct model may
/// write. Nothing else is cut: the span is graded as the model gave it.</para>
/// </summary>
public static partial class SpanAnswer
{
    /// <summary>What a model answers, and what a trainer's completion says, when the passage does not answer the question.</summary>
    public const string NoAnswer = "unanswerable";

    /// <summary>Exact match and token F1 of one prediction, each the best over the gold answers.</summary>
    public readonly record struct Score(bool ExactMatch, double F1);

    /// <summary>The prediction in an output: its first non-blank line without an answer prefix; "" when the output is blank.</summary>
    public static string Extract(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return AnswerPrefix().Replace(line, "").Trim();
    }

    /// <summary>
    /// Scores <paramref name="prediction"/> (already extracted) against <paramref name="answers"/>; no answers means the
    /// question is unanswerable (gold [""]).
    /// </summary>
    public static Score Grade(string prediction, IReadOnlyList<string> answers)
    {
        var pred = Normalize(prediction);
        if (pred is NoAnswer or "no answer") pred = "";
        IEnumerable<string> golds = answers.Count == 0 ? [""] : answers.Select(Normalize);
        bool exact = false;
        double f1 = 0;
        foreach (var gold in golds)
        {
            exact |= gold == pred;
            f1 = Math.Max(f1, TokenF1(gold, pred));
        }
        return new Score(exact, f1);
    }

    /// <summary>
    /// SQuAD's <c>normalize_answer</c>: lower case, remove ASCII punctuation (Python's string.punctuation), remove the
    /// words a, an, the, and collapse runs of whitespace to one space (trimmed).
    /// </summary>
    public static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s.ToLowerInvariant()) if (!(char.IsAscii(c) && (char.IsPunctuation(c) || char.IsSymbol(c)))) sb.Append(c);
        var noArticles = Article().Replace(sb.ToString(), " ");
        return string.Join(' ', noArticles.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Token F1 of two normalised strings (the script's compute_f1); both empty → 1, one empty → 0.</summary>
    public static double TokenF1(string gold, string pred)
    {
        var g = gold.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var p = pred.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (g.Length == 0 || p.Length == 0) return g.Length == p.Length ? 1 : 0;
        var counts = new Dictionary<string, int>();
        foreach (var t in g) counts[t] = counts.GetValueOrDefault(t) + 1;
        int same = 0;
        foreach (var t in p)
            if (counts.GetValueOrDefault(t) > 0) { counts[t]--; same++; }
        if (same == 0) return 0;
        double precision = (double)same / p.Length, recall = (double)same / g.Length;
        return 2 * precision * recall / (precision + recall);
    }

    // The script's \b(a|an|the)\b: the article must stand as a whole word ("theatre" keeps its "the").
    [GeneratedRegex(@"\b(a|an|the)\b")]
    private static partial Regex Article();

    // "Answer: X", "Answer - X", "The answer is X" / "The answer is: X"; a bare "answer" must have its colon or dash, so
    // a span that starts with the word ("answering machine") is left whole.
    [GeneratedRegex(@"^(?:the\s+answer\s+is\b\s*:?|answer\s*[:\-])\s*", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerPrefix();
}
