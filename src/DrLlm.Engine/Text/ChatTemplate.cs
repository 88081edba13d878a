using System.Globalization;
using System.Text.Json;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text.Jinja;

namespace DrLlm.Engine.Text;

/// <summary>One chat turn: role ("system", "user", "assistant") and its text.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// A model's chat template (tokenizer_config.json "chat_template", GGUF tokenizer.chat_template), rendered with the
/// Jinja subset in Text/Jinja the way transformers' apply_chat_template renders it: variables messages,
/// add_generation_prompt, bos_token, eos_token, tools = none, and the functions raise_exception, namespace, range and
/// strftime_now. Tool calling is not supported beyond what the template does with tools = none.
/// </summary>
public sealed class ChatTemplate
{
    readonly List<Node> template;

    public string Source { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }
    /// <summary>The clock strftime_now reads (Llama-3.x templates print today's date); fixed in tests.</summary>
    public Func<DateTime> Clock { get; init; } = () => DateTime.Now;

    public ChatTemplate(string source, string? bosToken = null, string? eosToken = null)
    {
        Source = source; BosToken = bosToken; EosToken = eosToken;
        template = JinjaParser.Parse(source);
    }

    /// <summary>The prompt text for <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> it ends where the assistant's reply starts.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null)
    {
        var globals = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = BosToken ?? "",
            ["eos_token"] = EosToken ?? "",
            ["tools"] = null,
            ["documents"] = null,
            ["raise_exception"] = (JinjaFunction)((a, _) => throw new JinjaException("template raised: " + (a.Count > 0 ? JinjaBuiltins.Str(a[0]) : ""))),
            ["namespace"] = (JinjaFunction)((_, kw) => { var ns = new Namespace(); foreach (var kv in kw) ns[kv.Key] = kv.Value; return ns; }),
            ["range"] = (JinjaFunction)((a, _) => Range(a)),
            ["strftime_now"] = (JinjaFunction)((a, _) => StrFTime(Clock(), JinjaBuiltins.Str(a.FirstOrDefault()))),
        };
        if (variables is not null) foreach (var kv in variables) globals[kv.Key] = kv.Value;
        return JinjaInterpreter.Render(template, globals);
    }

    /// <summary>The prompt for a model without a chat template (a base model): the messages' texts, one after another.</summary>
    public static string PlainPrompt(IReadOnlyList<ChatMessage> messages) => string.Join("\n\n", messages.Select(m => m.Content));

    /// <summary>
    /// The chat template of a tokenizer_config.json, of the one in a model directory, or of a GGUF file; null when there
    /// is none (base models).
    /// </summary>
    public static ChatTemplate? Find(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "tokenizer_config.json");
        else if (path.EndsWith("tokenizer.json", StringComparison.OrdinalIgnoreCase))
            path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return FromGguf(path);
        using var doc = HfSpecialTokens.ParseFile(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: must be a JSON object, not {root.ValueKind}");
        if (!root.TryGetProperty("chat_template", out var t) || t.ValueKind == JsonValueKind.Null) return null;
        string source, field = "chat_template";
        string? bos, eos;
        try
        {
            source = t.ValueKind switch
            {
                JsonValueKind.String => t.GetString()!,
                // Several named templates: [{"name": "default", "template": …}, {"name": "tool_use", …}].
                JsonValueKind.Array => t.EnumerateArray().FirstOrDefault(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == "default")
                    is { ValueKind: JsonValueKind.Object } d ? d.GetProperty("template").GetString()!
                    : throw new ModelFormatException($"{path}: chat_template lists no template named 'default'"),
                _ => throw new ModelFormatException($"{path}: chat_template is {t.ValueKind}, a string or a list of {{name, template}} expected"),
            };
            field = "bos_token / eos_token";
            (bos, eos) = (TokenText(root, "bos_token"), TokenText(root, "eos_token"));
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException)
        {
            throw new ModelFormatException($"{path}: {field}: unexpected JSON ({e.Message})", e);
        }
        return Create(source, bos, eos, path);
    }

    static ChatTemplate? FromGguf(string path)
    {
        using var file = GgufFile.Open(path);
        if (file.Metadata.GetValueOrDefault("tokenizer.chat_template") is not string source) return null;
        var vocab = GgufVocab.Read(file);
        string? Text(int? id) => vocab is not null && id is int i && i >= 0 && i < vocab.Tokens.Count ? vocab.Tokens[i] : null;
        return Create(source, Text(vocab?.BosTokenId), Text(vocab?.EosTokenId), path + " tokenizer.chat_template");
    }

    static ChatTemplate Create(string source, string? bos, string? eos, string where)
    {
        try { return new ChatTemplate(source, bos, eos); }
        catch (JinjaException e) { throw new ModelFormatException($"{where}: chat template not supported: {e.Message}", e); }
    }

    static string? TokenText(JsonElement root, string field) =>
        root.TryGetProperty(field, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        } : null;

    static List<object?> Range(List<object?> a)
    {
        long start = 0, stop, step = 1;
        if (a.Count == 1) stop = (long)a[0]!;
        else { start = (long)a[0]!; stop = (long)a[1]!; if (a.Count > 2) step = (long)a[2]!; }
        var r = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) r.Add(i);
        return r;
    }

    /// <summary>Python strftime for the directives chat templates use.</summary>
    static string StrFTime(DateTime t, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length) { sb.Append(format[i]); continue; }
            sb.Append(format[++i] switch
            {
                'd' => t.ToString("dd", c), 'm' => t.ToString("MM", c), 'Y' => t.ToString("yyyy", c), 'y' => t.ToString("yy", c),
                'b' => t.ToString("MMM", c), 'B' => t.ToString("MMMM", c), 'a' => t.ToString("ddd", c), 'A' => t.ToString("dddd", c),
                'H' => t.ToString("HH", c), 'M' => t.ToString("mm", c), 'S' => t.ToString("ss", c), '%' => "%",
                var other => "%" + other,
            });
        }
        return sb.ToString();
    }
}
