namespace DrLlm.Tasks.Loading;

/// <summary>How a data file is read. Every default is here.</summary>
public sealed record LoadOptions
{
    /// <summary>The split the file holds; benchmark files are usually a test or validation set.</summary>
    public string Split { get; init; } = "test";

    /// <summary>
    /// Skip records that do not fit the schema instead of failing on the first one. Skipped records are counted and
    /// the first few reasons kept in <see cref="LoadResult"/>, so nothing disappears silently.
    /// </summary>
    public bool SkipBadRows { get; init; }

    /// <summary>The task name given to the items; null = the loader's own ("arc", "dart", …).</summary>
    public string? TaskName { get; init; }

    /// <summary>How many skip reasons <see cref="LoadResult.SkipReasons"/> keeps.</summary>
    public int MaxSkipReasons { get; init; } = 5;
}

/// <summary>Items read from a file, and what was skipped (only with <see cref="LoadOptions.SkipBadRows"/>).</summary>
public sealed record LoadResult(IReadOnlyList<TaskItem> Items, int Skipped, IReadOnlyList<string> SkipReasons)
{
    /// <summary>"skipped 3 bad rows: f.jsonl:4: field 'answerKey': missing; …", or null when nothing was skipped.</summary>
    public string? SkipSummary => Skipped == 0 ? null
        : $"skipped {Skipped} bad row{(Skipped == 1 ? "" : "s")}: {string.Join("; ", SkipReasons)}{(Skipped > SkipReasons.Count ? "; …" : "")}";
}
