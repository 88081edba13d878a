using System.Text.RegularExpressions;

namespace DrLlm.Tasks.Graders;

/// <summary>
/// Letter extraction for multiple choice (METHOD.md: "letter match for multiple choice"). With <c>n</c> options the
/// allowed letters are A up to the n-th letter (at most J). Rules, first that applies wins:
/// <list type="number">
/// <item><b>Leading letter.</b> The output (trimmed, after an optional "(" or "[") starts with a single letter
///   followed by the end, whitespace or one of <c>) ] . : ,</c>: " B", "(B)", "B.", "b)", "B is correct". A lower-case
///   letter counts here only when followed by the end or punctuation, since "a"/"i" followed by a space are English
///   words. A leading upper-case letter outside the allowed range (E with 4 options) is an invalid answer: null.</item>
/// <item><b>Answer phrase.</b> "answer is B", "answer: (b)", "Answer - B", "the correct option is C", "choice D"
///   (case-insensitive, the letter must be in range and stand alone); the first such phrase counts.</item>
/// <item><b>Lone letters.</b> Upper-case in-range letters standing alone (not part of a word, not followed by an
///   apostrophe): if they are all the same letter, that letter ("I think B"; "B, yes B"); if two different letters
///   appear ("B or C", "A and D"), the output is ambiguous: null.</item>
/// </list>
/// Null means no answer, which grades as wrong.
/// </summary>
public static partial class ChoiceAnswer
{
    public static bool Grade(string output, string gold, int optionCount) =>
        Extract(output, optionCount) is { } letter && gold.Trim().Length == 1 && char.ToUpperInvariant(gold.Trim()[0]) == letter;

    public static char? Extract(string output, int optionCount)
    {
        if (optionCount is < 2 or > 10) throw new ArgumentOutOfRangeException(nameof(optionCount), optionCount, "multiple choice needs 2 to 10 options (A-J)");
        char last = (char)('A' + optionCount - 1);
        bool InRange(char c) => c >= 'A' && c <= last;

        var s = output.Trim();
        var lead = Leading().Match(s);
        if (lead.Success)
        {
            char c = lead.Groups[1].Value[0];
            bool upper = char.IsAsciiLetterUpper(c);
            bool followedByPunct = lead.Groups[2].Value is "" || lead.Groups[2].Value[0] is ')' or ']' or '.' or ':' or ',';
            if (upper || followedByPunct)
            {
                var u = char.ToUpperInvariant(c);
                if (InRange(u)) return u;
                if (upper) return null;
            }
        }

        foreach (Match m in Phrase().Matches(s))
        {
            var u = char.ToUpperInvariant(m.Groups[1].Value[0]);
            if (InRange(u)) return u;
        }

        char? found = null;
        foreach (Match m in Lone().Matches(s))
        {
            var c = m.Value[0];
            if (!InRange(c)) continue;
            if (found is { } f && f != c) return null;
            found = c;
        }
        return found;
    }

    // A single letter at the start, then end / whitespace / closing punctuation.
    [GeneratedRegex(@"^[(\[]?([A-Za-z])(?=([)\].:,]|\s|$))")]
    private static partial Regex Leading();

    [GeneratedRegex(@"\b(?:answer|option|choice)(?:\s+is)?\s*[:\-=]?\s*[(\[]?([A-Ja-j])(?![A-Za-z0-9'])", RegexOptions.IgnoreCase)]
    private static partial Regex Phrase();

    [GeneratedRegex(@"(?<![A-Za-z0-9'])[A-J](?![A-Za-z0-9'])")]
    private static partial Regex Lone();
}
