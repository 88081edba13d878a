using System.Text;

namespace DrLlm.Cli.Commands;

/// <summary>
/// Deterministic mixed text for tokenizer benchmarks: documents of English prose, C#-like code, numbers and dates, and
/// Cyrillic, Greek, Chinese, Japanese and Arabic sentences, words drawn at random so the word cache sees a realistic
/// mix of repeats and new words.
/// </summary>
internal static class BenchText
{
    static readonly string[] English = "the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will can more about said what out up them into time some could then two these may first new only people any other very also years just like made well".Split(' ');
    static readonly string[] Foreign =
    [
        "Съешь же ещё этих мягких французских булок, да выпей чаю.", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
        "我能吞下玻璃而不伤身体。今天天气很好，我们去公园散步吧。", "いろはにほへと ちりぬるを わかよたれそ つねならむ",
        "نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر", "Falsches Üben von Xylophonmusik quält jeden größeren Zwerg.",
    ];

    public static List<string> Documents(long totalChars, int seed)
    {
        var rng = new Random(seed);
        var docs = new List<string>();
        long total = 0;
        while (total < totalChars)
        {
            var sb = new StringBuilder();
            while (sb.Length < 4000)
            {
                switch (rng.Next(10))
                {
                    case < 5:
                        for (int i = 0, n = rng.Next(8, 30); i < n; i++)
                        {
                            var w = English[rng.Next(English.Length)];
                            if (rng.Next(12) == 0) w = char.ToUpperInvariant(w[0]) + w[1..] + rng.Next(10, 9999);
                            sb.Append(i == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : " " + w);
                        }
                        sb.Append(rng.Next(4) == 0 ? "? " : ". ");
                        break;
                    case < 7:
                        string name = English[rng.Next(English.Length)] + "Count" + rng.Next(100);
                        sb.Append($"\n    public static int {name}(ReadOnlySpan<int> xs)\n    {{\n        int total = {rng.Next(1000)};\n");
                        sb.Append($"        for (int i = 0; i < xs.Length; i += {rng.Next(1, 9)}) total += xs[i] * 0x{rng.Next():X};\n        return total; // {English[rng.Next(English.Length)]}\n    }}\n");
                        break;
                    case 7:
                        sb.Append($"{rng.Next(1900, 2100)}-{rng.Next(1, 13):D2}-{rng.Next(1, 29):D2}: {rng.NextDouble() * 1e6:F3} units, {rng.Next(100)}% of {rng.Next()}. ");
                        break;
                    default:
                        sb.Append(Foreign[rng.Next(Foreign.Length)]).Append(' ');
                        break;
                }
            }
            docs.Add(sb.ToString());
            total += sb.Length;
        }
        return docs;
    }
}
