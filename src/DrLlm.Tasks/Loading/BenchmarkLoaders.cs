using System.Text.Json;
using System.Text.RegularExpressions;
using DrLlm.Tasks.Graders;

namespace DrLlm.Tasks.Loading;

/// <summary>
/// Loaders for the benchmarks the paper trains and evaluates on, in the shapes their usual exports have. Each returns
/// items in file order; see <see cref="TaskLoader"/> for bad-record handling.
/// </summary>
public static partial class BenchmarkLoaders
{
    /// <summary>
    /// ARC (AI2 Reasoning Challenge). Two shapes: AI2's own JSONL
    /// <c>{"id", "question": {"stem", "choices": [{"text", "label"}]}, "answerKey"}</c> and the Hugging Face
    /// <c>allenai/ai2_arc</c> flattening <c>{"id", "question", "choices": {"text": [...], "label": [...]}, "answerKey"}</c>.
    /// About 1% of ARC questions label options 1-4 instead of A-D; labels become letters by their rank (1 → A).
    /// </summary>
    public static LoadResult Arc(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "arc", options ?? new(), (obj, ctx) =>
        {
            string question;
            List<string> texts, labels;
            if (Fields.Find(obj, "question") is { ValueKind: JsonValueKind.Object })
            {
                question = Fields.String(obj, "question.stem");
                var choices = Fields.Find(obj, "question.choices") ?? throw new RecordException("question.choices", "missing");
                if (choices.ValueKind != JsonValueKind.Array) throw new RecordException("question.choices", "expected an array of {text, label}");
                texts = []; labels = [];
                int i = 0;
                foreach (var c in choices.EnumerateArray())
                {
                    texts.Add(Fields.OptionalString(c, "text") ?? throw new RecordException($"question.choices[{i}].text", "missing"));
                    labels.Add(Fields.OptionalString(c, "label") ?? throw new RecordException($"question.choices[{i}].label", "missing"));
                    i++;
                }
            }
            else
            {
                question = Fields.String(obj, "question");
                texts = Fields.StringList(obj, "choices.text");
                labels = Fields.StringList(obj, "choices.label");
                if (labels.Count != texts.Count) throw new RecordException("choices.label", $"{labels.Count} labels for {texts.Count} option texts");
            }
            var ranks = labels.Select((l, i) => (Rank: ArcLabelRank(l, $"choices[{i}].label"), Text: texts[i])).OrderBy(x => x.Rank).ToList();
            for (int i = 0; i < ranks.Count; i++)
                if (ranks[i].Rank != i) throw new RecordException("choices.label", $"labels must be A, B, C, … (or 1, 2, 3, …) without gaps, got {string.Join(",", labels)}");
            if (ranks.Count < 2) throw new RecordException("choices", $"expected at least 2 options, got {ranks.Count}");
            var key = Fields.String(obj, "answerKey");
            int gold = ArcLabelRank(key, "answerKey");
            if (gold >= ranks.Count) throw new RecordException("answerKey", $"'{key}' names no option (labels: {string.Join(",", labels)})");
            return new TaskItem(Fields.OptionalString(obj, "id") ?? ctx.FallbackId, ctx.Task, question, ranks.Select(r => r.Text).ToList(),
                TaskItem.Letter(gold).ToString(), Grading.MultipleChoiceLetter, ctx.Source, null, ctx.Split);
        });

    private static int ArcLabelRank(string label, string field)
    {
        var t = label.Trim();
        if (t.Length == 1 && t[0] is >= 'A' and <= 'J') return t[0] - 'A';
        if (int.TryParse(t, out var n) && n is >= 1 and <= 10) return n - 1;
        throw new RecordException(field, $"expected an option label A-J or 1-10, got '{label}'");
    }

    /// <summary>
    /// DART-Math (hkust-nlp/dart-math-*) and MATH-shaped rows: the question in <c>query</c> (or MATH's <c>problem</c>),
    /// the answer in <c>gt_ans</c> (or <c>answer</c>, or the last \boxed{…} of MATH's <c>solution</c>), the level in
    /// <c>level</c> or <c>difficulty</c> (an integer or "Level 3"); id from <c>id</c>, <c>query_id</c> or <c>idx</c>.
    /// </summary>
    public static LoadResult Dart(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "dart", options ?? new(), (obj, ctx) =>
        {
            var qField = Fields.Find(obj, "query") is not null ? "query" : Fields.Find(obj, "problem") is not null ? "problem" : "query";
            var question = Fields.String(obj, qField);
            string gold;
            if ((Fields.OptionalString(obj, "gt_ans") ?? Fields.OptionalString(obj, "answer")) is { } g && g.Trim().Length > 0) gold = g.Trim();
            else if (Fields.OptionalString(obj, "solution") is { } sol)
                gold = MathAnswer.LastBoxed(sol) ?? throw new RecordException("solution", "no gt_ans/answer field and no \\boxed{…} in the solution");
            else throw new RecordException("gt_ans", "missing (also looked for 'answer' and a \\boxed{…} in 'solution')");
            var id = Fields.OptionalString(obj, "id") ?? Fields.OptionalString(obj, "query_id") ?? Fields.OptionalString(obj, "idx") ?? ctx.FallbackId;
            return new TaskItem(id, ctx.Task, question, null, gold, Grading.MathAnswer, ctx.Source,
                Fields.Level(obj, "level", "difficulty"), ctx.Split);
        });

    /// <summary>
    /// GSM8K (openai/grade-school-math): <c>question</c>, and <c>answer</c> = worked solution ending "#### n". Gold is
    /// n with thousands separators removed ("#### 1,234" → "1234"); calculator annotations «…» are left in the
    /// solution, which is not used.
    /// </summary>
    public static LoadResult Gsm8k(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "gsm8k", options ?? new(), (obj, ctx) =>
        {
            var question = Fields.String(obj, "question");
            var answer = Fields.String(obj, "answer");
            int at = answer.LastIndexOf("####", StringComparison.Ordinal);
            if (at < 0) throw new RecordException("answer", "no final answer: expected the solution to end with '#### n'");
            var gold = answer[(at + 4)..].Trim().Replace(",", "");
            if (!GsmNumber().IsMatch(gold)) throw new RecordException("answer", $"final answer after '####' is not a number: '{answer[(at + 4)..].Trim()}'");
            return new TaskItem(Fields.OptionalString(obj, "id") ?? ctx.FallbackId, ctx.Task, question, null, gold, Grading.MathAnswer,
                ctx.Source, null, ctx.Split);
        });

    [GeneratedRegex(@"^-?\d+(\.\d+)?$")]
    private static partial Regex GsmNumber();

    /// <summary>
    /// MMLU (cais/mmlu, hendrycks/test). JSON rows: <c>question</c>, <c>choices</c> (a list of 4), <c>answer</c> (0-based
    /// index or letter), optional <c>subject</c>. CSV (the original release): <c>question,A,B,C,D,answer</c> without a
    /// header; a first row that reads "question,…,answer" is taken as a header and ignored.
    /// </summary>
    public static LoadResult Mmlu(string file, LoadOptions? options = null)
    {
        bool csv = file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);
        return TaskLoader.Load(file, "mmlu", options ?? new(), (obj, ctx) =>
        {
            string question, answer, answerField;
            List<string> choices;
            string? subject = Fields.OptionalString(obj, "subject");
            if (csv)
            {
                int n = obj.EnumerateObject().Count();
                if (ctx.Index == 0 && n == 6 && Fields.OptionalString(obj, "0")?.Trim().Equals("question", StringComparison.OrdinalIgnoreCase) == true
                    && Fields.OptionalString(obj, "5")?.Trim().Equals("answer", StringComparison.OrdinalIgnoreCase) == true)
                    return null;
                if (n != 6) throw new RecordException(null, $"expected 6 CSV fields (question,A,B,C,D,answer), got {n}");
                question = Fields.String(obj, "0");
                choices = [.. Enumerable.Range(1, 4).Select(i => Fields.OptionalString(obj, i.ToString()) ?? "")];
                answerField = "answer (column 6)";
                answer = Fields.OptionalString(obj, "5") ?? "";
            }
            else
            {
                question = Fields.String(obj, "question");
                choices = Fields.StringList(obj, "choices");
                answerField = "answer";
                answer = Fields.String(obj, "answer");
            }
            var gold = Fields.AnswerLetter(answer, answerField, choices.Count, indexBase: 0);
            var id = Fields.OptionalString(obj, "id") ?? (subject is null ? ctx.FallbackId : $"{subject}-{ctx.Index}");
            return new TaskItem(id, ctx.Task, question, choices, gold, Grading.MultipleChoiceLetter, ctx.Source, null, ctx.Split);
        }, csvHasHeader: false);
    }
}
