using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace DrLlm.Tasks.Graders;

/// <summary>
/// Math-equivalence grading (METHOD.md: "math-equivalence for numbers and expressions"), in the spirit of the MATH
/// and DART-Math graders (Hendrycks et al. 2021 <c>strip_string</c>; DART-Math's <c>math_equal</c>).
///
/// <para><b>Extraction</b> (<see cref="Extract"/>): the content of the last <c>\boxed{…}</c> (or <c>\fbox{…}</c>),
/// nested braces allowed; else the text after the last GSM8K-style <c>####</c>; else the last number (or fraction
/// a/b, or \frac{a}{b}) on the first non-blank line. Only the first line, because a base model that has given its
/// answer runs on into the next question ("33\nQ: 4+5=? A: 9") and the new-token budget (15 for math) rarely leaves
/// room for a reasoned multi-line answer anyway.</para>
///
/// <para><b>Normalisation</b> (<see cref="Normalize"/>): drop $ and \$, \( \) \[ \], \left/\right, spacing commands,
/// LaTeX's "{,}" digit-group comma, degrees, percent signs (so "50\%" equals 50, not 0.5: the MATH and DART normalisers strip \% the same way),
/// thousands separators ("1,000" → 1000), <c>\text{…}</c>-style wrappers, a trailing period, a leading "x =", and
/// trailing unit words ("12 dollars", "5 cm"); \dfrac/\tfrac → \frac, \cdot/\times → *, \div → /, unicode minus → -.</para>
///
/// <para><b>Comparison</b> (<see cref="Equivalent"/>): both sides are evaluated exactly by <see cref="MathExpression"/>
/// (integers, decimals, fractions, powers, rational square roots, sums and products: 1.50 = 3/2 = \frac{6}{4},
/// 2^3 = 8, -(-3) = 3). Equal rationals match. A decimal written with at least two decimals also matches a value that
/// rounds to it (0.33 or 0.333 for 1/3, not 0.3): the usual way to write a non-terminating answer. Tuples and intervals
/// ("(1, 2)") compare element by element with matching brackets. Anything that does not evaluate (2\sqrt{3}, x^2+1,
/// "Monday") compares as normalised text, ignoring spaces and case.</para>
/// </summary>
public static partial class MathAnswer
{
    /// <summary>True when <paramref name="output"/>'s extracted answer is equivalent to <paramref name="gold"/>.</summary>
    public static bool Grade(string output, string gold) => Extract(output) is { } a && Equivalent(a, gold);

    /// <summary>The final answer in a model output by the rules in the class summary; null when there is none.</summary>
    public static string? Extract(string output)
    {
        if (LastBoxed(output) is { } boxed) return boxed;
        int hashes = output.LastIndexOf("####", StringComparison.Ordinal);
        if (hashes >= 0)
        {
            var rest = output[(hashes + 4)..].TrimStart();
            var line = rest.Split('\n')[0].Trim();
            if (line.Length > 0) return line;
        }
        var first = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (first is null) return null;
        var matches = NumberInText().Matches(first);
        return matches.Count == 0 ? null : matches[^1].Value;
    }

    /// <summary>The content of the last \boxed{…} or \fbox{…} (nested braces balanced), or of "\boxed 5"; null if none.</summary>
    public static string? LastBoxed(string text)
    {
        int at = Math.Max(text.LastIndexOf("\\boxed", StringComparison.Ordinal), text.LastIndexOf("\\fbox", StringComparison.Ordinal));
        if (at < 0) return null;
        int i = at + (text.AsSpan(at).StartsWith("\\boxed") ? 6 : 5);
        if (i < text.Length && text[i] == ' ')
        {
            // "\boxed 5": the argument runs to the next space or $.
            int end = text.IndexOfAny([' ', '$', '\n'], i + 1);
            var word = (end < 0 ? text[(i + 1)..] : text[(i + 1)..end]).Trim();
            return word.Length > 0 ? word : null;
        }
        if (i >= text.Length || text[i] != '{') return null;
        int depth = 0;
        for (int j = i; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return text[(i + 1)..j].Trim();
        }
        return null; // unbalanced: the generation was cut off inside the box
    }

    /// <summary>True when two answers are the same value (or the same normalised text); rules in the class summary.</summary>
    public static bool Equivalent(string predicted, string gold)
    {
        var p = Normalize(LastBoxed(predicted) ?? predicted);
        var g = Normalize(LastBoxed(gold) ?? gold);
        if (p.Length == 0 || g.Length == 0) return false;
        if (Value(p) is { } pv && Value(g) is { } gv) return SameValue(pv, gv);

        var pt = SplitTuple(p); var gt = SplitTuple(g);
        if (pt is not null && gt is not null)
            return pt.Value.Open == gt.Value.Open && pt.Value.Close == gt.Value.Close && pt.Value.Items.Length == gt.Value.Items.Length
                   && pt.Value.Items.Zip(gt.Value.Items).All(x => ScalarEquivalent(x.First, x.Second));
        return ScalarEquivalent(p, g);
    }

    private static bool ScalarEquivalent(string p, string g) =>
        Value(p) is { } pv && Value(g) is { } gv ? SameValue(pv, gv) : string.Equals(Compact(p), Compact(g), StringComparison.OrdinalIgnoreCase);

    private static string Compact(string s) => WhiteSpace().Replace(s, "").Replace("{", "").Replace("}", "");

    /// <summary>A value and, for a plain decimal literal, how many decimals it was written with.</summary>
    private readonly record struct Valued(Rational Value, int Decimals);

    private static Valued? Value(string s)
    {
        if (MathExpression.Evaluate(s) is not { } v)
        {
            // "12 dollars", "5 cm", "3 apples": a value followed by words.
            var m = TrailingWords().Match(s);
            if (!m.Success || MathExpression.Evaluate(m.Groups[1].Value) is not { } v2) return null;
            v = v2; s = m.Groups[1].Value;
        }
        var d = DecimalLiteral().Match(s.Trim());
        return new Valued(v, d.Success ? d.Groups[1].Length : 0);
    }

    private static bool SameValue(Valued a, Valued b) =>
        a.Value == b.Value || RoundsTo(a.Value, b) || RoundsTo(b.Value, a);

    /// <summary>True when <paramref name="exact"/> rounded to the decimals <paramref name="written"/> has equals it (≥ 2 decimals).</summary>
    private static bool RoundsTo(Rational exact, Valued written)
    {
        if (written.Decimals < 2) return false;
        var scale = BigInteger.Pow(10, written.Decimals);
        // |exact − written| ≤ ½·10^-d  ⇔  |exact·10^d − written·10^d| ≤ ½
        var diff = exact * Rational.Of(scale) - written.Value * Rational.Of(scale);
        var twice = diff * Rational.Of(2);
        return BigInteger.Abs(twice.Num) <= twice.Den;
    }

    private static (char Open, char Close, string[] Items)? SplitTuple(string s)
    {
        if (s.Length < 2 || s[0] is not ('(' or '[') || s[^1] is not (')' or ']')) return null;
        var inner = s[1..^1];
        var items = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < inner.Length; i++)
        {
            if (inner[i] is '(' or '[' or '{') depth++;
            else if (inner[i] is ')' or ']' or '}') depth--;
            else if (inner[i] == ',' && depth == 0) { items.Add(inner[start..i].Trim()); start = i + 1; }
        }
        items.Add(inner[start..].Trim());
        return items.Count < 2 ? null : (s[0], s[^1], items.ToArray());
    }

    /// <summary>The answer-string normalisation described in the class summary.</summary>
    public static string Normalize(string answer)
    {
        var s = new StringBuilder(answer.Trim());
        s.Replace("\n", " ").Replace("\u2212", "-").Replace("{,}", ",").Replace("\\!", "").Replace("\\,", "").Replace("\\;", "").Replace("\\:", "")
         .Replace("\\left", "").Replace("\\right", "").Replace("\\dfrac", "\\frac").Replace("\\tfrac", "\\frac")
         .Replace("\\cdot", "*").Replace("\\times", "*").Replace("\\div", "/").Replace("\\$", "").Replace("$", "")
         .Replace("\\(", "").Replace("\\)", "").Replace("\\[", "").Replace("\\]", "")
         .Replace("^{\\circ}", "").Replace("^\\circ", "").Replace("\u00b0", "").Replace("\\%", "").Replace("%", "")
         .Replace("\\ ", " ");
        var t = TextCommand().Replace(s.ToString(), "$1");
        t = ThousandsSeparated().Replace(t, m => m.Value.Replace(",", ""));
        t = t.Trim().TrimEnd('.').Trim();
        t = VariableAssignment().Replace(t, "");
        return t.Trim();
    }

    [GeneratedRegex(@"\\(?:text|textbf|textrm|mbox|mathrm|mathbf)\s*\{([^{}]*)\}")]
    private static partial Regex TextCommand();

    // 1,000 and 12,345,678 but not 1,2 or 1,0000; not after a digit or '.', so "3.1,234" is left alone.
    [GeneratedRegex(@"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")]
    private static partial Regex ThousandsSeparated();

    [GeneratedRegex(@"^[A-Za-z]\s*=\s*(?=\S)")]
    private static partial Regex VariableAssignment();

    // Two letters at least, so "3x" (a variable) keeps its x while "5 cm" and "12 dollars" lose their units.
    [GeneratedRegex(@"^(.*?[\d}])\s*[A-Za-z]{2,}[A-Za-z ]*\.?$")]
    private static partial Regex TrailingWords();

    [GeneratedRegex(@"^-?\d*\.(\d+)$")]
    private static partial Regex DecimalLiteral();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    // The last "number" on a line: \frac{a}{b}, a/b, or a signed number with optional thousands separators and
    // decimals. A minus sign counts only at the start of a token ("= -5"), not as subtraction ("12-5").
    [GeneratedRegex(@"\\[dt]?frac\{[^{}]*\}\{[^{}]*\}|(?:(?<![\w)\]}])-)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?|(?:(?<![\w)\]}])-)?\.\d+")]
    private static partial Regex NumberInText();
}
