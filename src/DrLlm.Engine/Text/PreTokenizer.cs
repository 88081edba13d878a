using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DrLlm.Engine.Text;

/// <summary>Splits normalized text into the words BPE runs on (tokenizer.json "pre_tokenizer", llama.cpp regex_exprs).</summary>
public interface IPreTokenizer
{
    /// <summary>Appends (start, length) of each word of <paramref name="text"/>, in order, covering all of it.</summary>
    void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words);
}

/// <summary>The pre-tokenizer regexes this library knows by heart, as tokenizer.json and llama-vocab.cpp write them.</summary>
public static class PreTokenizerPatterns
{
    /// <summary>Llama-3 (tokenizer.json pre_tokenizer Split, llama-vocab.cpp LLAMA_VOCAB_PRE_TYPE_LLAMA3).</summary>
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    /// <summary>Qwen2/2.5/3: Llama-3's with single digits (llama-vocab.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2).</summary>
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    /// <summary>GPT-2, also what a ByteLevel pre-tokenizer with use_regex=true applies (tokenizers byte_level.rs).</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// A splitter for <paramref name="pattern"/> with Split behavior "Isolated": the hand-written matcher for the Llama-3
    /// and Qwen2 patterns (faster, and letters outside the BMP count as \p{L} as in the Rust regex), else .NET Regex.
    /// </summary>
    public static IPreTokenizer Create(string pattern) => pattern switch
    {
        Llama3 => new Llama3Splitter(3),
        Qwen2 => new Llama3Splitter(1),
        _ => new RegexSplitter(AdaptForDotNet(pattern)),
    };

    /// <summary>
    /// .NET's case-insensitive groups fold more than the ASCII letters llama.cpp compares (llama-vocab.cpp rewrites
    /// the same group as "(?:'[sS]|'[tT]|…)"), so the contraction group is spelled out the same way.
    /// </summary>
    public static string AdaptForDotNet(string pattern) => pattern.Replace(
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])");
}

/// <summary>Split behavior "Isolated" with a .NET regex: every match is a word, and so is every gap between matches.</summary>
public sealed class RegexSplitter(string pattern) : IPreTokenizer
{
    readonly Regex regex = new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        int prev = 0;
        foreach (var m in regex.EnumerateMatches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > prev) words.Add((prev, m.Index - prev));
            words.Add((m.Index, m.Length));
            prev = m.Index + m.Length;
        }
        if (prev < text.Length) words.Add((prev, text.Length - prev));
    }
}

/// <summary>
/// The Llama-3 pattern (<see cref="PreTokenizerPatterns.Llama3"/>) or, with maxDigits 1, Qwen2's, matched by hand over
/// code points, alternative by alternative, following llama.cpp unicode.cpp unicode_regex_split_custom_llama3 and the
/// leftmost-first semantics of the regex (so unassigned code points count as [^\s\p{L}\p{N}], as in the regex).
/// </summary>
public sealed class Llama3Splitter(int maxDigits) : IPreTokenizer
{
    const byte Letter = 1, Number = 2, Space = 4;
    static readonly byte[] BmpFlags = BuildBmpFlags();

    static byte[] BuildBmpFlags()
    {
        var t = new byte[65536];
        for (int c = 0; c < 65536; c++)
            if (!char.IsSurrogate((char)c)) t[c] = FlagsOf(new Rune(c));
        return t;
    }

    static byte FlagsOf(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        byte f = cat switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => 0,
        };
        if (Rune.IsWhiteSpace(r)) f |= Space;
        return f;
    }

    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        int n = 0;
        // Code points as (flags, char offset); one pooled pass so the matcher below indexes code points directly.
        var flags = ArrayPool<byte>.Shared.Rent(text.Length + 1);
        var cps = ArrayPool<int>.Shared.Rent(text.Length + 1);
        var offs = ArrayPool<int>.Shared.Rent(text.Length + 1);
        try
        {
            for (int i = 0; i < text.Length;)
            {
                char c = text[i];
                offs[n] = i;
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    var r = new Rune(c, text[i + 1]);
                    cps[n] = r.Value; flags[n] = FlagsOf(r); i += 2;
                }
                else { cps[n] = c; flags[n] = BmpFlags[c]; i++; }
                n++;
            }
            offs[n] = text.Length;
            MatchAll(cps, flags, offs, n, words);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(flags);
            ArrayPool<int>.Shared.Return(cps);
            ArrayPool<int>.Shared.Return(offs);
        }
    }

    void MatchAll(int[] cps, byte[] flags, int[] offs, int n, List<(int, int)> words)
    {
        int F(int p) => p < n ? flags[p] : -1; // -1: past the end, matches nothing
        static bool IsLetter(int f) => f >= 0 && (f & Letter) != 0;
        static bool IsNumber(int f) => f >= 0 && (f & Number) != 0;
        static bool IsSpace(int f) => f >= 0 && (f & Space) != 0;
        static bool IsOther(int f) => f >= 0 && (f & (Letter | Number | Space)) == 0; // [^\s\p{L}\p{N}]
        bool IsCrLf(int p) => p < n && (cps[p] == '\r' || cps[p] == '\n');
        static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

        int pos = 0;
        while (pos < n)
        {
            int start = pos, cp = cps[pos], f = flags[pos];
            // (?i:'s|'t|'re|'ve|'m|'ll|'d), ASCII letters only as in llama-vocab.cpp's adapted pattern
            if (cp == '\'' && pos + 1 < n)
            {
                int a = Lower(cps[pos + 1]);
                if (a is 's' or 't' or 'm' or 'd') { Add(start, pos + 2); continue; }
                if (pos + 2 < n)
                {
                    int b = Lower(cps[pos + 2]);
                    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) { Add(start, pos + 3); continue; }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (IsLetter(f) || (!IsCrLf(pos) && !IsNumber(f) && IsLetter(F(pos + 1))))
            {
                pos++;
                while (IsLetter(F(pos))) pos++;
                Add(start, pos); continue;
            }
            // \p{N}{1,maxDigits}
            if (IsNumber(f))
            {
                while (IsNumber(F(pos)) && pos - start < maxDigits) pos++;
                Add(start, pos); continue;
            }
            // ' '?[^\s\p{L}\p{N}]+[\r\n]*
            if (IsOther(f) || (cp == ' ' && IsOther(F(pos + 1))))
            {
                if (cp == ' ') pos++;
                while (IsOther(F(pos))) pos++;
                while (IsCrLf(pos)) pos++;
                Add(start, pos); continue;
            }
            // \s*[\r\n]+ | \s+(?!\S) | \s+
            int run = 0, lastNewline = -1;
            while (IsSpace(F(pos + run)))
            {
                if (IsCrLf(pos + run)) lastNewline = pos + run;
                run++;
            }
            if (lastNewline >= 0) { Add(start, lastNewline + 1); continue; }
            if (run > 1 && pos + run < n) { Add(start, pos + run - 1); continue; }
            if (run > 0) { Add(start, pos + run); continue; }
            Add(start, pos + 1); // not reached: every code point is a letter, number, space or "other"

            void Add(int from, int to) { words.Add((offs[from], offs[to] - offs[from])); pos = to; }
        }
    }
}
