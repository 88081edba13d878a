using System.Text.Json;
using DrLlm.Tasks.Graders;

namespace DrLlm.Tasks.Loading;

public static partial class BenchmarkLoaders
{
    /// <summary>
    /// SQuAD v2.0 (Rajpurkar et al. 2018): a question about a Wikipedia paragraph, answered by a span of it or, for a
    /// third of the questions, not answerable from it. Two shapes:
    /// <list type="bullet">
    /// <item>the Hugging Face <c>rajpurkar/squad_v2</c> rows <c>{"id", "title", "context", "question", "answers":
    ///   {"text": [...], "answer_start": [...]}}</c>, with an empty <c>answers.text</c> for an unanswerable question;</item>
    /// <item>the original release (<c>dev-v2.0.json</c>, <c>train-v2.0.json</c>): one JSON document
    ///   <c>{"version", "data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text",
    ///   "answer_start"}], "is_impossible"}]}]}]}</c>. Every question is an item; errors name it by its path
    ///   (<c>data[0].paragraphs[2].qas[1].answers</c>) and the line the document starts on.</item>
    /// </list>
    /// Gold: every annotator's span (<see cref="TaskItem.Answers"/>, empty when unanswerable; the release's
    /// <c>plausible_answers</c> of an unanswerable question are not answers). Graded by <see cref="SpanAnswer"/>.
    /// </summary>
    public static LoadResult SquadV2(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "squadv2", options ?? new(), (obj, ctx) =>
        {
            var context = Fields.String(obj, "context");
            var question = Fields.String(obj, "question");
            var answers = Fields.Find(obj, "answers") ?? throw new RecordException("answers", "missing (an unanswerable question has answers.text = [])");
            List<string> texts;
            if (answers.ValueKind == JsonValueKind.Object)
            {
                var t = Fields.Find(answers, "text") ?? throw new RecordException("answers.text", "missing");
                if (t.ValueKind != JsonValueKind.Array) throw new RecordException("answers.text", $"expected a JSON array of answer spans, got a {t.ValueKind.ToString().ToLowerInvariant()}");
                texts = [.. t.EnumerateArray().Select((e, i) => SpanText(Fields.AsText(e, $"answers.text[{i}]"), $"answers.text[{i}]"))];
            }
            else if (answers.ValueKind == JsonValueKind.Array) texts = SpanTexts(answers, "answers");
            else throw new RecordException("answers", $"expected {{\"text\": [...]}} or a list of {{\"text\"}}, got a {answers.ValueKind.ToString().ToLowerInvariant()}");
            return SquadItem(Fields.OptionalString(obj, "id") ?? ctx.FallbackId, context, question, texts, ctx);
        }, split: SquadRelease);

    /// <summary>The original release's document split into one maker per question; null for a Hugging Face row.</summary>
    private static IEnumerable<Func<TaskLoader.RecordContext, TaskItem>>? SquadRelease(JsonElement obj)
    {
        if (Fields.Find(obj, "data") is not { } data) return null;
        if (data.ValueKind != JsonValueKind.Array) throw new RecordException("data", "expected the release's array of articles");
        return Questions(data);

        static IEnumerable<Func<TaskLoader.RecordContext, TaskItem>> Questions(JsonElement data)
        {
            int a = 0;
            foreach (var article in data.EnumerateArray())
            {
                var ap = $"data[{a++}]";
                if (Fields.Find(article, "paragraphs") is not { ValueKind: JsonValueKind.Array } paragraphs)
                {
                    yield return _ => throw new RecordException($"{ap}.paragraphs", "missing or not an array of paragraphs");
                    continue;
                }
                int p = 0;
                foreach (var paragraph in paragraphs.EnumerateArray())
                {
                    var pp = $"{ap}.paragraphs[{p++}]";
                    if (Fields.Find(paragraph, "qas") is not { ValueKind: JsonValueKind.Array } qas)
                    {
                        yield return _ => throw new RecordException($"{pp}.qas", "missing or not an array of questions");
                        continue;
                    }
                    int q = 0;
                    foreach (var qa in qas.EnumerateArray())
                    {
                        var qp = $"{pp}.qas[{q++}]";
                        yield return ctx =>
                        {
                            var context = Fields.OptionalString(paragraph, "context") is { Length: > 0 } c ? c : throw new RecordException($"{pp}.context", "missing or empty");
                            try
                            {
                                var question = Fields.String(qa, "question");
                                bool impossible = Fields.Find(qa, "is_impossible") is { ValueKind: JsonValueKind.True };
                                var answers = Fields.Find(qa, "answers");
                                if (!impossible && answers is not { ValueKind: JsonValueKind.Array })
                                    throw new RecordException("answers", answers is null ? "missing (and is_impossible is not true)" : "expected a list of {\"text\", \"answer_start\"}");
                                var texts = impossible ? [] : SpanTexts(answers!.Value, "answers");
                                if (!impossible && texts.Count == 0) throw new RecordException("answers", "empty, but is_impossible is not true");
                                return SquadItem(Fields.OptionalString(qa, "id") ?? ctx.FallbackId, context, question, texts, ctx);
                            }
                            catch (RecordException e) { throw new RecordException($"{qp}.{e.Field}", e.Message); }
                        };
                    }
                }
            }
        }
    }

    private static List<string> SpanTexts(JsonElement list, string path) =>
        [.. list.EnumerateArray().Select((e, i) => SpanText(Fields.OptionalString(e, "text") ?? "", $"{path}[{i}].text"))];

    private static string SpanText(string text, string field) =>
        text.Trim().Length > 0 ? text : throw new RecordException(field, "an empty answer span (an unanswerable question lists no answers)");

    private static TaskItem SquadItem(string id, string context, string question, List<string> answers, TaskLoader.RecordContext ctx) =>
        new(id, ctx.Task, question, null, answers.Count > 0 ? answers[0] : SpanAnswer.NoAnswer, Grading.ExtractiveSpan, ctx.Source, null, ctx.Split,
            Passage: context, Answers: answers);
}
