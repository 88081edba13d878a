using System.Text.Json;
using System.Text.RegularExpressions;

namespace DrLlm.Tasks.Loading;

public static partial class BenchmarkLoaders
{
    /// <summary>
    /// AGIEval (Zhong et al. 2023), its English multiple-choice subsets: lsat-ar, lsat-lr, lsat-rc, logiqa-en, sat-math,
    /// sat-en, sat-en-without-passage, aqua-rat, gaokao-english (one file each). Two shapes:
    /// <list type="bullet">
    /// <item>the original release (ruixiangcui/AGIEval <c>data/v1/*.jsonl</c>): <c>{"passage", "question", "options":
    ///   ["(A)…", "(B)…", …], "label": "B"}</c>, passage null where there is none;</item>
    /// <item>the Hugging Face copies the evaluation harness reads (hails/agieval-*): <c>{"query", "choices": ["(A)…", …],
    ///   "gold": [1]}</c>, where query is the harness prompt "PASSAGE Q: QUESTION Answer Choices: (A)… A: Among A through
    ///   E, the answer is"; passage and question are taken back out of it.</item>
    /// </list>
    /// The "(A)" in front of each option is dropped (the prompt letters options itself). The cloze subsets (math,
    /// gaokao-mathcloze: no options) and multi-answer rows (jec-qa: several labels) are not single-letter multiple
    /// choice and are bad rows.
    /// </summary>
    public static LoadResult AgiEval(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "agieval", options ?? new(), (obj, ctx) =>
        {
            string? passage;
            string question, gold;
            List<string> choices;
            if (Fields.Find(obj, "query") is not null)
            {
                var query = Fields.String(obj, "query");
                int at = query.LastIndexOf("Answer Choices:", StringComparison.Ordinal);
                int q = at < 0 ? -1 : query.LastIndexOf("Q:", at, StringComparison.Ordinal);
                if (q < 0) throw new RecordException("query", "expected the harness layout 'Q: QUESTION Answer Choices: (A)…'");
                passage = query[..q].Trim() is { Length: > 0 } p ? p : null;
                question = query[(q + 2)..at].Trim();
                if (question.Length == 0) throw new RecordException("query", "no question between 'Q:' and 'Answer Choices:'");
                choices = OptionTexts(obj, "choices");
                var g = Fields.Find(obj, "gold") ?? throw new RecordException("gold", "missing");
                var golds = g.ValueKind == JsonValueKind.Array ? [.. g.EnumerateArray().Select((e, i) => Fields.AsText(e, $"gold[{i}]"))] : new List<string> { Fields.AsText(g, "gold") };
                if (golds.Count != 1) throw new RecordException("gold", $"expected one correct option, got {golds.Count} (a multi-answer row)");
                gold = Fields.AnswerLetter(golds[0], "gold", choices.Count, indexBase: 0);
            }
            else
            {
                passage = Fields.OptionalString(obj, "passage") is { } p && p.Trim().Length > 0 ? p : null;
                question = Fields.String(obj, "question");
                if (Fields.Find(obj, "options") is null) throw new RecordException("options", "missing: a cloze row (math, gaokao-mathcloze) is not multiple choice");
                choices = OptionTexts(obj, "options");
                var l = Fields.Find(obj, "label") ?? throw new RecordException("label", "missing");
                var labels = l.ValueKind == JsonValueKind.Array ? [.. l.EnumerateArray().Select((e, i) => Fields.AsText(e, $"label[{i}]"))] : new List<string> { Fields.AsText(l, "label") };
                if (labels.Count != 1) throw new RecordException("label", $"expected one correct option, got {labels.Count} (a multi-answer row)");
                if (labels[0].Trim() is not { Length: 1 } letter || !char.IsAsciiLetter(letter[0])) throw new RecordException("label", $"expected an option letter, got '{labels[0]}'");
                gold = Fields.AnswerLetter(letter, "label", choices.Count, indexBase: 0);
            }
            return new TaskItem(Fields.OptionalString(obj, "id") ?? ctx.FallbackId, ctx.Task, question, choices, gold, Grading.MultipleChoiceLetter,
                ctx.Source, null, ctx.Split, Passage: passage);
        });

    /// <summary>Option texts without their "(A)" / "A." / "A)" prefix (only the prefix of the option's own letter is dropped).</summary>
    private static List<string> OptionTexts(JsonElement obj, string path)
    {
        var list = Fields.StringList(obj, path);
        return [.. list.Select((o, i) =>
        {
            var m = OptionPrefix().Match(o);
            var letter = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
            var text = m.Success && letter[0] == TaskItem.Letter(i) ? o[m.Length..] : o;
            return text.Trim().Length > 0 ? text.Trim() : throw new RecordException($"{path}[{i}]", "an empty option");
        })];
    }

    [GeneratedRegex(@"^\s*(?:\(([A-Z])\)|([A-Z])[.)](?=\s))\s*")]
    private static partial Regex OptionPrefix();
}
