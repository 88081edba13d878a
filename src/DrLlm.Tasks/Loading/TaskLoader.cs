using System.Text.Json;

namespace DrLlm.Tasks.Loading;

/// <summary>
/// The loop every loader shares: read records, map each to a <see cref="TaskItem"/>, and either fail on the first bad
/// record with a <see cref="TaskFormatException"/> (file:line and field) or, with <see cref="LoadOptions.SkipBadRows"/>,
/// count it and keep its reason.
/// </summary>
public static class TaskLoader
{
    /// <summary>
    /// Maps one record's object to an item; throws <see cref="RecordException"/> for a record that does not fit. May
    /// return null for the first record only, when it is a header row (MMLU CSVs come with and without one).
    /// </summary>
    public delegate TaskItem? RecordMapper(JsonElement obj, RecordContext context);

    /// <summary>What a mapper needs besides the object: the task name, the split, the record's index, a fallback id and the source.</summary>
    public sealed record RecordContext(string Task, string Split, int Index, string FallbackId, string Source);

    public static LoadResult Load(string file, string defaultTask, LoadOptions options, RecordMapper map, bool csvHasHeader = true)
    {
        var items = new List<TaskItem>();
        var reasons = new List<string>();
        int skipped = 0, index = 0;
        var task = options.TaskName ?? defaultTask;
        var stem = Path.GetFileNameWithoutExtension(file);
        foreach (var record in RecordReader.Read(file, csvHasHeader))
        {
            TaskFormatException? error = null;
            if (record.Value is not { } obj)
                error = new TaskFormatException(file, record.Line, null, record.ParseError ?? "unreadable record");
            else
            {
                try
                {
                    var item = map(obj, new RecordContext(task, options.Split, index, $"{stem}-{index}", $"{file}:{record.Line}"));
                    if (item is not null) items.Add(item);
                    else if (index != 0) throw new InvalidOperationException($"{file}:{record.Line}: a loader skipped a record that is not a header");
                }
                catch (RecordException e)
                {
                    error = new TaskFormatException(file, record.Line, e.Field, e.Message, e);
                }
            }
            index++;
            if (error is null) continue;
            if (!options.SkipBadRows) throw error;
            skipped++;
            if (reasons.Count < options.MaxSkipReasons) reasons.Add(error.Message);
        }
        return new LoadResult(items, skipped, reasons);
    }
}
