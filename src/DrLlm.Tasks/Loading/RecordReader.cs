using System.Text;
using System.Text.Json;

namespace DrLlm.Tasks.Loading;

/// <summary>
/// Reads a data file into <see cref="Record"/>s. JSON is auto-detected: a file whose first non-blank character is '['
/// is one JSON array of objects; a file that is one JSON object spread over several lines (a pretty-printed release
/// such as SQuAD's <c>{"version", "data": […]}</c>) is that one record; otherwise it is JSON Lines (one object per
/// non-blank line, the shape <c>datasets.to_json</c> writes). A ".csv" file is RFC 4180 CSV.
/// </summary>
public static class RecordReader
{
    public static IEnumerable<Record> Read(string file, bool csvHasHeader = true)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such data file", file);
        if (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return ReadCsv(file, csvHasHeader);
        var text = ReadBounded(file);
        var first = text.AsSpan().TrimStart().TrimStart('\uFEFF');
        if (first.Length > 0 && first[0] == '[') return ReadArray(file, text);
        if (first.Length > 0 && first[0] == '{' && first.TrimEnd().Contains('\n') && OneObject(file, text) is { } whole) return [whole];
        return ReadLines(file, text);
    }

    /// <summary>
    /// The whole text as one JSON object, or null when it is not one (then it is JSON Lines: the second line's object
    /// is trailing text to the parser, which stops there). A one-line file never gets here: as JSON Lines it is the same record.
    /// </summary>
    private static Record? OneObject(string file, string text)
    {
        var body = text.TrimStart('\uFEFF');
        try
        {
            using var doc = JsonDocument.Parse(body);
            int line = 1 + body.AsSpan(0, body.IndexOf('{')).Count('\n');
            return new Record(file, line, doc.RootElement.Clone(), null);
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Characters a JSON / JSONL data file may hold: more than any benchmark file, well within a .NET string.</summary>
    public const int MaxChars = 1 << 30;

    /// <summary>
    /// The whole file as text, refused once it passes <see cref="MaxChars"/>: a file too large (or a device such as
    /// /dev/zero, whose size reads 0) would otherwise end in an out-of-memory crash.
    /// </summary>
    public static string ReadBounded(string file, int maxChars = MaxChars)
    {
        using var reader = new StreamReader(file, Encoding.UTF8);
        var text = new StringBuilder();
        var buffer = new char[1 << 16];
        for (int n; (n = reader.Read(buffer)) > 0;)
        {
            if (text.Length + (long)n > maxChars)
                throw new TaskFormatException(file, 1, null, $"the file holds more than {maxChars:N0} characters; split it (or use CSV, which is read as a stream)");
            text.Append(buffer, 0, n);
        }
        return text.ToString();
    }

    private static IEnumerable<Record> ReadLines(string file, string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim('\uFEFF');
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement? value = null;
            string? error = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                value = doc.RootElement.Clone();
                if (value.Value.ValueKind != JsonValueKind.Object) { error = $"expected a JSON object, got a {value.Value.ValueKind.ToString().ToLowerInvariant()}"; value = null; }
            }
            catch (JsonException e) { error = $"not valid JSON ({e.Message.Split(" Path:")[0]})"; }
            yield return new Record(file, i + 1, value, error);
        }
    }

    /// <summary>
    /// A JSON array. Syntax errors here spoil the whole file (there is no next line to resume at), so they throw;
    /// an element that is not an object is a bad record like any other.
    /// </summary>
    private static IEnumerable<Record> ReadArray(string file, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.TrimStart('\uFEFF'));
        var records = new List<Record>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        int lineAt = 1; long counted = 0;
        try
        {
            reader.Read(); // '['
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                for (; counted < reader.TokenStartIndex; counted++) if (bytes[counted] == '\n') lineAt++;
                var kind = reader.TokenType;
                using var doc = JsonDocument.ParseValue(ref reader);
                records.Add(kind == JsonTokenType.StartObject
                    ? new Record(file, lineAt, doc.RootElement.Clone(), null)
                    : new Record(file, lineAt, null, $"expected a JSON object in the array, got {kind}"));
            }
            if (reader.TokenType != JsonTokenType.EndArray) throw new TaskFormatException(file, lineAt, null, "the JSON array is not closed");
        }
        catch (JsonException e)
        {
            throw new TaskFormatException(file, (int)(e.LineNumber ?? 0) + 1, null, $"not valid JSON ({e.Message.Split(" LineNumber:")[0]})", e);
        }
        return records;
    }

    private static IEnumerable<Record> ReadCsv(string file, bool hasHeader)
    {
        using var reader = new StreamReader(file, Encoding.UTF8);
        string[]? header = null;
        foreach (var (line, cells) in CsvParser.Read(reader, file))
        {
            if (hasHeader && header is null) { header = cells.Select(c => c.Trim()).ToArray(); continue; }
            var names = header ?? Enumerable.Range(0, cells.Length).Select(i => i.ToString()).ToArray();
            if (cells.Length != names.Length)
            {
                yield return new Record(file, line, null, $"expected {names.Length} CSV fields, got {cells.Length}");
                continue;
            }
            var obj = new Dictionary<string, string>();
            for (int i = 0; i < cells.Length; i++) obj[names[i]] = cells[i];
            yield return new Record(file, line, JsonSerializer.SerializeToElement(obj), null);
        }
    }
}
