namespace DrLlm.Tasks.Loading;

public static partial class BenchmarkLoaders
{
    /// <summary>
    /// PIQA (Bisk et al. 2020): a goal and two solutions, one right. Rows <c>{"goal", "sol1", "sol2", "label"}</c> with
    /// label 0 (sol1) or 1 (sol2), as the Hugging Face <c>ybisk/piqa</c> exports have them. The original release keeps the
    /// labels apart: <c>train.jsonl</c> / <c>valid.jsonl</c> hold <c>{"id", "goal", "sol1", "sol2"}</c> and
    /// <c>train-labels.lst</c> / <c>valid-labels.lst</c> one label per line in row order; a file whose rows have no
    /// label is read with the labels file beside it (FILE without its extension + "-labels.lst"). The test split's labels
    /// are not public (its rows say -1): such a row is a bad row. Options: A = sol1, B = sol2.
    /// </summary>
    public static LoadResult Piqa(string file, LoadOptions? options = null)
    {
        var labelsFile = Path.Combine(Path.GetDirectoryName(file) ?? "", Path.GetFileNameWithoutExtension(file) + "-labels.lst");
        string[]? labels = null;
        return TaskLoader.Load(file, "piqa", options ?? new(), (obj, ctx) =>
        {
            var goal = Fields.String(obj, "goal");
            List<string> choices = [Fields.String(obj, "sol1"), Fields.String(obj, "sol2")];
            string raw;
            if (Fields.OptionalString(obj, "label") is { } l) raw = l.Trim();
            else
            {
                if (!File.Exists(labelsFile)) throw new RecordException("label", $"missing, and there is no labels file {labelsFile} beside the data");
                labels ??= File.ReadAllLines(labelsFile);
                if (ctx.Index >= labels.Length) throw new RecordException("label", $"missing, and {labelsFile} has only {labels.Length} lines");
                raw = labels[ctx.Index].Trim();
            }
            var gold = raw switch
            {
                "0" => "A",
                "1" => "B",
                "-1" => throw new RecordException("label", "-1: unlabelled (PIQA's test labels are not public)"),
                _ => throw new RecordException("label", $"expected 0 (sol1) or 1 (sol2), got '{raw}'"),
            };
            return new TaskItem(Fields.OptionalString(obj, "id") ?? ctx.FallbackId, ctx.Task, goal, choices, gold, Grading.MultipleChoiceLetter,
                ctx.Source, null, ctx.Split);
        });
    }
}
