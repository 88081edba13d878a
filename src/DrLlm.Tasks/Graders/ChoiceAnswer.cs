using System.Text.RegularExpressions;

namespace DrLlm.Tasks.Graders;

/// <summary>
/// Letter extraction for multiple choice (METHOD.md: "letter match for multiple choice"). With <c>n</c> options the
/// allowed letters are A up to the n-th letter (at most Z: some TruthfulQA MC1 questions have more than ten options). The rules run on the first non-blank line of the output
/// (a base model that has answered runs on into the next question: "B\nQuestion: A …"); only when that line holds no
/// letter at all do they run on the whole output ("The answer is:\nB"). First rule that applies wins:
/// <list type="number">
/// <item><b>Leading letter.</b> The line starts (after an optional "(" or "[") with a single letter followed by the
///   end, whitespace or punctuation: " B", "(B)", "B.", "b)", "B is correct". Followed by <c>) ] . :</c> or the end,
///   it is the answer ("B. Because A is smaller" → B). Followed by whitespace or a comma, it is the answer unless a
///   different allowed letter stands alone later in the line ("B or C" → ambiguous). A lower-case letter counts only
///   when followed by the end or punctuation, since "a"/"i" before a space are English words. A leading capital
///   outside the range that stands as an answer ("E", "E.") makes the output invalid; one followed by a space
///   ("I think B") is just a word.</item>
/// <item><b>Answer phrase.</b> "answer is B", "answer: (b)", "Answer - B", "the correct option is C", "choice D"
///   (case-insensitive, the letter must be in range and stand alone); the first such phrase counts.</item>
/// <item><b>Lone letters.</b> Capital in-range letters standing alone (not part of a word, not before an apostrophe):
///   all the same letter → that letter ("I think B", "B, yes B"); two different letters → ambiguous ("A and D").</item>
/// </list>
/// Null (no answer, or ambiguous) grades as wrong.
/// </summary>
public static partial class ChoiceAnswer
{
    public static bool Grade(string output, string gold, int optionCount) =>
        Extract(output, optionCount) is { } letter && gold.Trim().Length == 1 && char.ToUpperInvariant(gold.Trim()[0]) == letter;

    public static char? Extract(string output, int optionCount)
    {
        if (optionCount is < 2 or > 26) throw new ArgumentOutOfRangeException(nameof(optionCount), optionCount, "multiple choice needs 2 to 26 options (A-Z)");
        char last = (char)('A' + optionCount - 1);
        var firstLine = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (firstLine is null) return null;
        var (letter, decided) = FromText(firstLine, last);
        if (decided) return letter;
        return FromText(output.Trim(), last).Letter;
    }

    /// <summary>The letter, and whether the text decided the matter (a letter, an invalid or an ambiguous answer).</summary>
    private static (char? Letter, bool Decided) FromText(string s, char last)
    {
        bool InRange(char c) => c >= 'A' && c <= last;

        var lead = Leading().Match(s);
        if (lead.Success)
        {
            char c = lead.Groups[1].Value[0], u = char.ToUpperInvariant(c);
            string after = lead.Groups[2].Value;
            bool firm = after is "" or ")" or "]" or "." or ":";
            bool upper = char.IsAsciiLetterUpper(c);
            if (firm && !InRange(u) && upper) return (null, true);
            if (firm && InRange(u)) return (u, true);
            if (upper && InRange(u))
            {
                var others = Lone().Matches(s[lead.Length..]).Select(m => m.Value[0]).Where(o => InRange(o) && o != u);
                return others.Any() ? (null, true) : (u, true);
            }
        }

        foreach (Match m in Phrase().Matches(s))
        {
            var u = char.ToUpperInvariant(m.Groups[1].Value[0]);
            if (InRange(u)) return (u, true);
        }

        char? found = null;
        foreach (Match m in Lone().Matches(s))
        {
            var c = m.Value[0];
            if (!InRange(c)) continue;
            if (found is { } f && f != c) return (null, true);
            found = c;
        }
        return (found, found is not null);
    }

    // A single letter at the start; group 2 is what follows: nothing (the end), a space or a punctuation mark.
    [GeneratedRegex(@"^[(\[]?([A-Za-z])(?![A-Za-z0-9'])([)\].:,]|\s|$)")]
    private static partial Regex Leading();

    [GeneratedRegex(@"\b(?:answer|option|choice)(?:\s+is)?\s*[:\-=]?\s*[(\[]?([A-Za-z])(?![A-Za-z0-9'])", RegexOptions.IgnoreCase)]
    private static partial Regex Phrase();

    [GeneratedRegex(@"(?<![A-Za-z0-9'])[A-Z](?![A-Za-z0-9'])")]
    private static partial Regex Lone();
}
