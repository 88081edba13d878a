using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DrLlm.Cluster.Spec;

/// <summary>
/// A sweep spec's text (JSON, or YAML) → a JSON tree, within limits: the only place spec text is parsed, so the CLI,
/// the dashboard and the sweep actor meet the same rules. Specs come from users and from a web form, so nothing in the
/// text may crash or exhaust the process: it is read from YamlDotNet's event stream (never its recursive
/// representation model) and every problem is a <see cref="SpecException"/> naming the source and the line.
/// <list type="bullet">
/// <item>at most <see cref="MaxChars"/> characters, <see cref="MaxDepth"/> nested lists/mappings and
/// <see cref="MaxNodes"/> values once aliases are expanded (an alias "bomb" is refused, not expanded);</item>
/// <item>an alias must name an anchor whose value is complete (a recursive alias is refused);</item>
/// <item>mapping keys are plain values (no list, mapping or alias as a key) and appear once per mapping;</item>
/// <item>one document per spec.</item>
/// </list>
/// </summary>
public static class SpecText
{
    public const int MaxChars = 1 << 20;
    public const int MaxDepth = 64;
    public const int MaxNodes = 100_000;

    /// <summary>The text of the spec file <paramref name="file"/>, refused before reading when it is too large to be a spec.</summary>
    public static string ReadFile(string file)
    {
        long bytes = new FileInfo(file).Length;
        if (bytes > 4L * MaxChars) // UTF-8 needs at most 4 bytes a character: a larger file surely holds too many
            throw new SpecException([$"{file}: the spec is {bytes:N0} bytes; at most {MaxChars:N0} characters are read"]);
        return File.ReadAllText(file);
    }

    /// <summary>The tree of <paramref name="text"/> (null for an empty document); JSON when it starts with '{'.</summary>
    public static JsonNode? Parse(string text, string source)
    {
        if (text.Length > MaxChars)
            throw new SpecException([$"{source}: the spec is {text.Length:N0} characters; at most {MaxChars:N0} are read"]);
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
            }
            catch (JsonException e) { throw new SpecException([$"{source}: not valid JSON ({e.Message})"]); }
        }
        try { return new YamlReader(new Parser(new StringReader(text)), source).Document(); }
        catch (YamlException e) { throw new SpecException([$"{source}: not valid YAML (line {e.Start.Line}, column {e.Start.Column}: {Reason(e)})"]); }
    }

    /// <summary>
    /// A spec's tree (<see cref="Parse"/>'s) as block YAML for people: mappings and lists indented by two, lists of scalars in flow
    /// style ([0, 1]), strings in double quotes (JSON's escapes are YAML's), numbers, booleans and null as they are.
    /// <see cref="Parse"/> reads it back to the same tree.
    /// </summary>
    public static string ToYaml(JsonNode? spec)
    {
        var sb = new System.Text.StringBuilder();
        Write(spec, 0, sb, inList: false);
        return sb.ToString();

        static string Scalar(JsonNode? n) => n is null ? "null" : n.ToJsonString();
        static bool Flat(JsonNode? n) => n is not JsonObject && (n is not JsonArray a || a.All(x => x is not JsonObject and not JsonArray));

        static void Write(JsonNode? node, int indent, System.Text.StringBuilder sb, bool inList)
        {
            var pad = new string(' ', indent);
            if (node is JsonObject o)
            {
                bool first = true;
                foreach (var (key, value) in o)
                {
                    // the first key of a list item sits on the "- " line
                    if (!(inList && first)) sb.Append(pad);
                    first = false;
                    sb.Append(System.Text.Json.JsonSerializer.Serialize(key)).Append(':');
                    if (Flat(value)) sb.Append(' ').Append(value is JsonArray fa ? "[" + string.Join(", ", fa.Select(Scalar)) + "]" : Scalar(value)).Append('\n');
                    else if (value is JsonObject { Count: 0 }) sb.Append(" {}\n");
                    else { sb.Append('\n'); Write(value, indent + 2, sb, inList: false); }
                }
                if (first) sb.Append(inList ? "{}\n" : pad + "{}\n");
            }
            else if (node is JsonArray a)
            {
                foreach (var item in a)
                {
                    sb.Append(pad).Append("- ");
                    if (Flat(item)) sb.Append(item is JsonArray fa ? "[" + string.Join(", ", fa.Select(Scalar)) + "]" : Scalar(item)).Append('\n');
                    else Write(item, indent + 2, sb, inList: true);
                }
            }
            else sb.Append(pad).Append(Scalar(node)).Append('\n');
        }
    }

    /// <summary>YamlDotNet's message without its "(Line: …, Col: …, Idx: …) - (…): " prefix, which the error already gives.</summary>
    private static string Reason(YamlException e)
    {
        int i = e.Message.IndexOf("): ", StringComparison.Ordinal);
        return e.Message.StartsWith("(Line:", StringComparison.Ordinal) && i >= 0 ? e.Message[(i + 3)..] : e.Message;
    }

    private sealed class YamlReader(IParser parser, string source)
    {
        private readonly Dictionary<string, (JsonNode? Value, int Nodes, int Height)> _anchors = new(StringComparer.Ordinal);
        private readonly HashSet<string> _open = new(StringComparer.Ordinal);
        private int _nodes;

        private SpecException Error(Mark at, string message) => new([$"{source}: line {at.Line}: {message}"]);

        private ParsingEvent Next()
        {
            if (!parser.MoveNext() || parser.Current is null) throw new SpecException([$"{source}: the YAML ends in the middle of a value"]);
            return parser.Current;
        }

        public JsonNode? Document()
        {
            Next(); // StreamStart
            var e = Next();
            if (e is StreamEnd) return null;
            if (e is not DocumentStart) throw Error(e.Start, $"unexpected {e.GetType().Name}");
            var (root, _) = Value(Next(), depth: 0);
            Next(); // DocumentEnd
            var after = Next();
            if (after is not StreamEnd) throw Error(after.Start, "a second YAML document; a spec is one document");
            return root;
        }

        /// <summary>The value that starts with <paramref name="e"/>, at <paramref name="depth"/> containers deep, and its height in containers.</summary>
        private (JsonNode? Node, int Height) Value(ParsingEvent e, int depth)
        {
            if (e is AnchorAlias alias) return Alias(alias, depth);
            int nodes0 = _nodes;
            Count(e.Start, 1);
            JsonNode? node;
            int height = 0;
            AnchorName anchor = e is NodeEvent ne ? ne.Anchor : AnchorName.Empty;
            if (!anchor.IsEmpty) _open.Add(anchor.Value);
            switch (e)
            {
                case Scalar s:
                    node = s.Style is ScalarStyle.Plain ? Plain(s.Value) : JsonValue.Create(s.Value);
                    break;
                case SequenceStart:
                {
                    CheckDepth(e.Start, depth + 1);
                    var list = new JsonArray();
                    for (var x = Next(); x is not SequenceEnd; x = Next())
                    {
                        var (item, h) = Value(x, depth + 1);
                        list.Add(item);
                        height = Math.Max(height, h);
                    }
                    node = list;
                    height++;
                    break;
                }
                case MappingStart:
                {
                    CheckDepth(e.Start, depth + 1);
                    var map = new JsonObject();
                    for (var k = Next(); k is not MappingEnd; k = Next())
                    {
                        string key = k switch
                        {
                            Scalar ks => ks.Value,
                            AnchorAlias => throw Error(k.Start, "an alias as a mapping key; keys must be plain names"),
                            _ => throw Error(k.Start, "a list or mapping as a mapping key (a YAML complex key); keys must be plain names"),
                        };
                        if (map.ContainsKey(key)) throw Error(k.Start, $"duplicate key '{key}'");
                        Count(k.Start, 1);
                        var (item, h) = Value(Next(), depth + 1);
                        map[key] = item;
                        height = Math.Max(height, h);
                    }
                    node = map;
                    height++;
                    break;
                }
                default:
                    throw Error(e.Start, $"unexpected {e.GetType().Name}");
            }
            if (!anchor.IsEmpty)
            {
                _open.Remove(anchor.Value);
                _anchors[anchor.Value] = (node, _nodes - nodes0, height);
            }
            return (node, height);
        }

        /// <summary>An alias is a copy of its anchor's value, counted in full, so expansion is bounded by <see cref="MaxNodes"/>.</summary>
        private (JsonNode? Node, int Height) Alias(AnchorAlias alias, int depth)
        {
            string name = alias.Value.Value;
            if (_open.Contains(name)) throw Error(alias.Start, $"alias *{name} refers to the value it is inside (a recursive alias)");
            if (!_anchors.TryGetValue(name, out var a)) throw Error(alias.Start, $"alias *{name} names no anchor defined before it");
            Count(alias.Start, a.Nodes);
            CheckDepth(alias.Start, depth + a.Height);
            return (a.Value?.DeepClone(), a.Height);
        }

        private void Count(Mark at, int nodes)
        {
            _nodes += nodes;
            if (_nodes > MaxNodes) throw Error(at, $"the spec expands to more than {MaxNodes:N0} values (aliases included); that is far more than any sweep needs");
        }

        private void CheckDepth(Mark at, int depth)
        {
            if (depth > MaxDepth) throw Error(at, $"lists and mappings nest more than {MaxDepth} deep");
        }
    }

    /// <summary>Plain scalars become numbers, booleans or null where they read as such, as in YAML's core schema.</summary>
    private static JsonNode? Plain(string v)
    {
        if (v is "" or "~" or "null") return null;
        if (v is "true" or "True") return JsonValue.Create(true);
        if (v is "false" or "False") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        // "nan", "1e999": text, not a non-finite number that no JSON can hold.
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
