using DrLlm.Tasks.Synthetic;

namespace DrLlm.Tasks.Loading;

public static partial class BenchmarkLoaders
{
    /// <summary>
    /// GPQA (Rein et al. 2023; Idavidrein/gpqa: gpqa_main, gpqa_diamond, gpqa_extended), as the release's CSV or the
    /// Hugging Face JSON export of it: <c>Question</c>, <c>Correct Answer</c>, <c>Incorrect Answer 1</c>-<c>3</c>,
    /// <c>Record ID</c> (the other columns, explanations and annotator data, are not used). The release keeps the correct
    /// answer in its own column; the four options are shuffled deterministically per <c>Record ID</c> (the question text
    /// when a row has none), so an item's letters are the same on every machine and in every run. Texts are trimmed
    /// (the release has stray spaces and newlines around answers).
    /// </summary>
    public static LoadResult Gpqa(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "gpqa", options ?? new(), (obj, ctx) =>
        {
            var question = Fields.String(obj, "Question").Trim();
            string[] fields = ["Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"];
            var texts = fields.Select(f => Fields.String(obj, f).Trim()).ToList();
            for (int i = 0; i < texts.Count; i++)
                if (texts[i].Length == 0) throw new RecordException(fields[i], "blank");
            var recordId = Fields.OptionalString(obj, "Record ID")?.Trim();
            var order = new SeededRandom(SeededRandom.Hash("gpqa", recordId is { Length: > 0 } ? recordId : question)).Shuffled(Enumerable.Range(0, 4));
            return new TaskItem(recordId is { Length: > 0 } ? recordId : ctx.FallbackId, ctx.Task, question, order.Select(i => texts[i]).ToList(),
                TaskItem.Letter(order.IndexOf(0)).ToString(), Grading.MultipleChoiceLetter, ctx.Source, null, ctx.Split);
        });
}
