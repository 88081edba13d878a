namespace DrLlm.Tasks;

/// <summary>
/// A data file or task name that cannot be read: names the file, the line (1-based, the line where the bad record
/// starts) and the field at fault. A <see cref="FormatException"/>, so the CLI reports it as one line.
/// </summary>
public sealed class TaskFormatException : FormatException
{
    public string File { get; }
    public int Line { get; }
    public string? Field { get; }

    public TaskFormatException(string file, int line, string? field, string message, Exception? inner = null)
        : base($"{file}:{line}: {(field is null ? "" : $"field '{field}': ")}{message}", inner)
    {
        File = file;
        Line = line;
        Field = field;
    }
}
