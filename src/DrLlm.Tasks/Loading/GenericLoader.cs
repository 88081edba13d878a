
namespace DrLlm.Tasks.Loading;

/// <summary>
/// Which fields of another data set's rows hold the question, the options and the answer. Written as a query string
/// after the file in a task name: <c>generic:FILE?question=q&amp;choices=options&amp;answer=label</c>.
/// <list type="bullet">
/// <item><c>question</c> (required): the question field; dotted paths reach nested objects ("question.stem").</item>
/// <item><c>answer</c> (required): the answer field.</item>
/// <item><c>choices</c>: a field holding a list of option texts, or several fields joined by commas
///   ("A,B,C,D", as in a CSV with one column per option). Given → multiple choice.</item>
/// <item><c>grading</c>: <c>mc</c> or <c>math</c>; default mc when <c>choices</c> is given, else math.</item>
/// <item><c>index</c>: 0 or 1, the base of numeric multiple-choice answers (default 0).</item>
/// <item><c>answers</c>: how a multiple-choice answer is read: <c>auto</c> (default: a letter A-J, else an integer
///   index, else the exact text of one option), <c>letter</c>, <c>index</c> or <c>text</c> (for options that are
///   themselves numbers, where "9" would otherwise be taken as an index).</item>
/// <item><c>id</c>, <c>level</c>: optional id and level (1-5 or "Level N") fields.</item>
/// <item><c>task</c>: the items' task name (default "generic"). <c>header</c>: 0 for a CSV without a header row,
///   whose fields are then named "0", "1", ….</item>
/// </list>
/// </summary>
public sealed record GenericSpec
{
    public required string Question { get; init; }
    public required string Answer { get; init; }
    public IReadOnlyList<string>? Choices { get; init; }
    public Grading Grading { get; init; } = Grading.MathAnswer;
    public int IndexBase { get; init; }
    public string Answers { get; init; } = "auto";
    public string? Id { get; init; }
    public string? Level { get; init; }
    public string Task { get; init; } = "generic";
    public bool CsvHeader { get; init; } = true;

    /// <summary>Parses "question=q&amp;choices=a,b&amp;answer=x…"; unknown keys and missing required keys are errors.</summary>
    public static GenericSpec Parse(string query)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"generic task: '{pair}' is not key=value");
            var key = pair[..eq].Trim();
            if (key is not ("question" or "answer" or "choices" or "grading" or "index" or "id" or "level" or "task" or "header" or "answers"))
                throw new ArgumentException($"generic task: unknown key '{key}' (expected question, answer, choices, grading, index, answers, id, level, task, header)");
            map[key] = Uri.UnescapeDataString(pair[(eq + 1)..].Trim());
        }
        string Need(string k) => map.TryGetValue(k, out var v) && v.Length > 0 ? v : throw new ArgumentException($"generic task: '{k}=FIELD' is required");
        var choices = map.TryGetValue("choices", out var c) && c.Length > 0 ? c.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null;
        var grading = map.TryGetValue("grading", out var g) ? g.ToLowerInvariant() switch
        {
            "mc" or "multiple-choice" or "letter" => Grading.MultipleChoiceLetter,
            "math" or "numeric" or "number" => Grading.MathAnswer,
            _ => throw new ArgumentException($"generic task: grading must be 'mc' or 'math', got '{g}'"),
        } : choices is null ? Grading.MathAnswer : Grading.MultipleChoiceLetter;
        if (grading == Grading.MultipleChoiceLetter && choices is null) throw new ArgumentException("generic task: grading=mc needs choices=FIELD");
        int indexBase = map.TryGetValue("index", out var ib) ? ib switch { "0" => 0, "1" => 1, _ => throw new ArgumentException($"generic task: index must be 0 or 1, got '{ib}'") } : 0;
        bool header = !map.TryGetValue("header", out var h) || h switch { "1" or "true" => true, "0" or "false" => false, _ => throw new ArgumentException($"generic task: header must be 0 or 1, got '{h}'") };
        var answers = map.GetValueOrDefault("answers") ?? "auto";
        if (answers is not ("auto" or "letter" or "index" or "text")) throw new ArgumentException($"generic task: answers must be auto, letter, index or text, got '{answers}'");
        return new GenericSpec
        {
            Answers = answers,
            Question = Need("question"), Answer = Need("answer"), Choices = choices, Grading = grading, IndexBase = indexBase,
            Id = map.GetValueOrDefault("id"), Level = map.GetValueOrDefault("level"), Task = map.GetValueOrDefault("task") ?? "generic", CsvHeader = header,
        };
    }
}

/// <summary>Loads any JSON/JSONL/CSV question set through a <see cref="GenericSpec"/> field mapping.</summary>
public static class GenericLoader
{
    public static LoadResult Load(string file, GenericSpec spec, LoadOptions? options = null) =>
        TaskLoader.Load(file, spec.Task, options ?? new(), (obj, ctx) =>
        {
            var question = Fields.String(obj, spec.Question);
            var raw = Fields.String(obj, spec.Answer).Trim();
            var id = (spec.Id is null ? null : Fields.OptionalString(obj, spec.Id)) ?? ctx.FallbackId;
            int? level = spec.Level is null ? null : Fields.Level(obj, spec.Level);
            if (spec.Grading == Grading.MathAnswer)
                return new TaskItem(id, ctx.Task, question, null, raw, Grading.MathAnswer, ctx.Source, level, ctx.Split);

            var choices = spec.Choices!.Count == 1 ? Fields.StringList(obj, spec.Choices[0]) : spec.Choices.Select(f => Fields.String(obj, f)).ToList();
            bool isLetter = raw.Length == 1 && char.IsAsciiLetter(raw[0]), isIndex = int.TryParse(raw, out _);
            string gold;
            if (spec.Answers == "letter" && !isLetter) throw new RecordException(spec.Answer, $"expected an option letter, got '{raw}'");
            if (spec.Answers == "index" && !isIndex) throw new RecordException(spec.Answer, $"expected an option index, got '{raw}'");
            if (spec.Answers != "text" && (isLetter || isIndex))
                gold = Fields.AnswerLetter(raw, spec.Answer, choices.Count, spec.IndexBase);
            else
            {
                int at = choices.FindIndex(t => t.Trim() == raw);
                if (at < 0) throw new RecordException(spec.Answer, $"'{raw}' is not the text of any option{(spec.Answers == "auto" ? " (nor a letter or an index)" : "")}");
                gold = TaskItem.Letter(at).ToString();
            }
            return new TaskItem(id, ctx.Task, question, choices, gold, Grading.MultipleChoiceLetter, ctx.Source, level, ctx.Split);
        }, spec.CsvHeader);
}
