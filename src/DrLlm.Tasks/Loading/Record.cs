using System.Text.Json;

namespace DrLlm.Tasks.Loading;

/// <summary>
/// One raw record of a data file: a JSON object (CSV rows are turned into objects keyed by their header, or by
/// "0", "1", … without one), the line it starts on, or the reason it could not be parsed at all.
/// </summary>
public sealed record Record(string File, int Line, JsonElement? Value, string? ParseError);

/// <summary>A record that does not fit its loader's schema: which field and why. Becomes a <see cref="TaskFormatException"/>.</summary>
public sealed class RecordException(string? field, string message) : Exception(message)
{
    public string? Field { get; } = field;
}

/// <summary>Field access on a record's JSON object, with errors that name the field and what was expected.</summary>
public static class Fields
{
    /// <summary>The value at a dotted path ("question.stem"), or null when any step is missing or JSON null.</summary>
    public static JsonElement? Find(JsonElement obj, string path)
    {
        var cur = obj;
        foreach (var part in path.Split('.'))
        {
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(part, out var next)) return null;
            cur = next;
        }
        return cur.ValueKind == JsonValueKind.Null ? null : cur;
    }

    /// <summary>
    /// The first of <paramref name="paths"/> present in <paramref name="obj"/>, or the first path when none is, so that a
    /// read of it reports that one as missing. For exports that spell a field several ways ("problem" / "Problem").
    /// </summary>
    public static string Pick(JsonElement obj, params string[] paths) => paths.FirstOrDefault(p => Find(obj, p) is not null) ?? paths[0];

    /// <summary>A non-empty string (numbers and booleans are taken as their JSON text).</summary>
    public static string String(JsonElement obj, string path) =>
        OptionalString(obj, path) is { Length: > 0 } s ? s : throw new RecordException(path, Find(obj, path) is null ? "missing" : "empty");

    public static string? OptionalString(JsonElement obj, string path) => Find(obj, path) is { } v ? AsText(v, path) : null;

    public static string AsText(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => throw new RecordException(path, $"expected a string or number, got a JSON {v.ValueKind.ToString().ToLowerInvariant()}"),
    };

    /// <summary>A JSON array of strings (or numbers) with at least two entries.</summary>
    public static List<string> StringList(JsonElement obj, string path)
    {
        var v = Find(obj, path) ?? throw new RecordException(path, "missing");
        if (v.ValueKind != JsonValueKind.Array) throw new RecordException(path, $"expected a JSON array of option texts, got a {v.ValueKind.ToString().ToLowerInvariant()}");
        var list = v.EnumerateArray().Select((e, i) => AsText(e, $"{path}[{i}]")).ToList();
        if (list.Count < 2) throw new RecordException(path, $"expected at least 2 options, got {list.Count}");
        return list;
    }

    /// <summary>
    /// A difficulty level 1–5 from the first present field: an integer, "3", or MATH's "Level 3". "Level ?" (a few
    /// MATH items have it) and absent fields give null; anything else is an error.
    /// </summary>
    public static int? Level(JsonElement obj, params string[] paths)
    {
        foreach (var p in paths)
        {
            if (Find(obj, p) is not { } v) continue;
            var text = AsText(v, p).Trim();
            if (text.StartsWith("Level", StringComparison.OrdinalIgnoreCase)) text = text[5..].Trim();
            if (text == "?") return null;
            if (int.TryParse(text, out var level) && level is >= 1 and <= 5) return level;
            throw new RecordException(p, $"expected a level 1-5 (an integer or \"Level N\"), got '{AsText(v, p)}'");
        }
        return null;
    }

    /// <summary>
    /// A multiple-choice answer as a letter: "A".."J", "1".."10" (1-based, as some ARC rows are), or an integer JSON
    /// number / digit string taken with <paramref name="indexBase"/> (MMLU's answer is 0-based). Must name an option.
    /// </summary>
    public static string AnswerLetter(string raw, string path, int optionCount, int indexBase)
    {
        var t = raw.Trim();
        int index;
        if (t.Length == 1 && char.IsAsciiLetter(t[0])) index = char.ToUpperInvariant(t[0]) - 'A';
        else if (int.TryParse(t, out var n)) index = n - indexBase;
        else throw new RecordException(path, $"expected an option letter or index, got '{raw}'");
        if (index < 0 || index >= optionCount)
            throw new RecordException(path, $"'{raw}' names no option (there are {optionCount}: A-{TaskItem.Letter(optionCount - 1)})");
        return TaskItem.Letter(index).ToString();
    }
}
