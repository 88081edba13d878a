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

    /// <summary>
    /// Splits a record that holds many items into one maker per item (SQuAD's original release is one JSON document:
    /// articles → paragraphs → questions); null for a record that is one item, which the <see cref="RecordMapper"/> maps.
    /// A maker throws <see cref="RecordException"/> for its own item only, naming the field by its full path
    /// ("data[0].paragraphs[2].qas[1].answers"), so one bad question is one bad row; the splitter throws for the record.
    /// </summary>
    public delegate IEnumerable<Func<RecordContext, TaskItem>>? RecordSplitter(JsonElement obj);

    public static LoadResult Load(string file, string defaultTask, LoadOptions options, RecordMapper map, bool csvHasHeader = true,
        RecordSplitter? split = null)
    {
        var items = new List<TaskItem>();
        var reasons = new List<string>();
        int skipped = 0, index = 0;
        var task = options.TaskName ?? defaultTask;
        var stem = Path.GetFileNameWithoutExtension(file);
        RecordContext Context(Record record) => new(task, options.Split, index, $"{stem}-{index}", $"{file}:{record.Line}");
        void Bad(TaskFormatException error)
        {
            if (!options.SkipBadRows) throw error;
            skipped++;
            if (reasons.Count < options.MaxSkipReasons) reasons.Add(error.Message);
        }

        foreach (var record in RecordReader.Read(file, csvHasHeader))
        {
            if (record.Value is not { } obj)
            {
                index++;
                Bad(new TaskFormatException(file, record.Line, null, record.ParseError ?? "unreadable record"));
                continue;
            }
            List<Func<RecordContext, TaskItem>>? parts;
            try { parts = split?.Invoke(obj)?.ToList(); }
            catch (RecordException e)
            {
                index++;
                Bad(new TaskFormatException(file, record.Line, e.Field, e.Message, e));
                continue;
            }
            // A record that is one item is one pass through the mapper (a null maker); a split record, one pass per maker.
            foreach (var make in parts ?? [null!])
            {
                TaskFormatException? error = null;
                try
                {
                    var item = make is not null ? make(Context(record)) : map(obj, Context(record));
                    if (item is not null) items.Add(item);
                    else if (index != 0) throw new InvalidOperationException($"{file}:{record.Line}: a loader skipped a record that is not a header");
                }
                catch (RecordException e)
                {
                    error = new TaskFormatException(file, record.Line, e.Field, e.Message, e);
                }
                index++;
                if (error is not null) Bad(error);
            }
        }
        return new LoadResult(items, skipped, reasons);
    }
}
