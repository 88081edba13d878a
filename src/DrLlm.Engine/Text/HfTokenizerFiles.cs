using System.Text.Json;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text.Unicode;

namespace DrLlm.Engine.Text;

/// <summary>
/// Builds a <see cref="Tokenizer"/> from a Hugging Face tokenizer.json (tokenizers' serialization, version 1.0) with
/// the BPE model, plus tokenizer_config.json and generation_config.json when they sit beside it. Supported parts:
/// normalizers NFC, Prepend, Replace (string pattern), Sequence; pre-tokenizers Split (regex, Isolated), ByteLevel,
/// Metaspace, Sequence; decoders ByteLevel, Metaspace, and SentencePiece's Replace/ByteFallback/Fuse/Strip sequence;
/// post-processors TemplateProcessing, ByteLevel, Sequence. Anything else is a <see cref="ModelFormatException"/>
/// naming the file and the field.
/// </summary>
public static class HfTokenizerFiles
{
    public static Tokenizer Load(string tokenizerJsonPath)
    {
        // A field of the wrong JSON type (an array where an object belongs, a string for an id) surfaces from
        // JsonElement as a bare InvalidOperationException or FormatException; it is reported here, once for the whole
        // file, naming the part being read, rather than at each of the many accessors.
        var at = new Part();
        try { return Read(tokenizerJsonPath, at); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new ModelFormatException($"{at.File ?? tokenizerJsonPath}: {at.Field}: unexpected JSON ({e.Message})", e);
        }
    }

    /// <summary>Which part of which file <see cref="Read"/> is reading, for its errors.</summary>
    private sealed class Part
    {
        public string Field = "the top level";
        public string? File;
    }

    private static Tokenizer Read(string tokenizerJsonPath, Part at)
    {
        using var doc = HfSpecialTokens.ParseFile(tokenizerJsonPath);
        var root = doc.RootElement;
        string src = tokenizerJsonPath;
        if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{src}: must be a JSON object (tokenizers' serialization), not {root.ValueKind}");
        at.Field = "model";
        var model = Prop(root, "model", src);
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
        if (type != "BPE")
            throw new ModelFormatException($"{src}: model.type is '{type}'; only BPE is supported");

        at.Field = "model.vocab";
        // Vocabulary: model.vocab plus added_tokens (which may lie beyond it, e.g. Llama-3's 128000+).
        var vocabJson = Prop(model, "vocab", src);
        var byId = new Dictionary<int, string>();
        foreach (var p in vocabJson.EnumerateObject()) byId[p.Value.GetInt32()] = p.Name;
        var addedIds = new Dictionary<int, bool>();
        at.Field = "added_tokens";
        if (root.TryGetProperty("added_tokens", out var addedJson) && addedJson.ValueKind == JsonValueKind.Array)
            foreach (var a in addedJson.EnumerateArray())
            {
                int id = Prop(a, "id", src).GetInt32();
                byId[id] = Prop(a, "content", src).GetString() ?? "";
                addedIds[id] = a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True;
            }
        if (byId.Count == 0) throw new ModelFormatException($"{src}: model.vocab is empty");
        int size = byId.Keys.Max() + 1;
        if (byId.Keys.Min() < 0) throw new ModelFormatException($"{src}: model.vocab has a negative id");
        var tokens = new string[size];
        Array.Fill(tokens, "");
        foreach (var (id, text) in byId) tokens[id] = text;
        var isAdded = new bool[size];
        var isSpecial = new bool[size];
        foreach (var (id, special) in addedIds) { isAdded[id] = true; isSpecial[id] = special; }
        var vocab = new Vocabulary(tokens, isAdded, isSpecial);

        at.Field = "model.merges";
        var merges = new List<(string, string)>();
        if (model.TryGetProperty("merges", out var mergesJson) && mergesJson.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var m in mergesJson.EnumerateArray())
            {
                merges.Add(m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                    ? (m[0].GetString() ?? "", m[1].GetString() ?? "")
                    : m.ValueKind == JsonValueKind.String ? Bpe.ParseLine(m.GetString()!, src + " model.merges", i)
                    : throw new ModelFormatException($"{src}: model.merges[{i}] is neither \"a b\" nor [\"a\", \"b\"]"));
                i++;
            }
        }
        var bpe = Bpe.FromPairs(merges, vocab, src + " model.merges");

        at.Field = "model.unk_token";
        int? unk = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? vocab[u.GetString()!] : null;
        var normalizers = new List<Func<string, string>>();
        at.Field = "normalizer";
        if (root.TryGetProperty("normalizer", out var norm)) AddNormalizer(norm, normalizers, src, "normalizer");
        var pre = new PreTokenizerSpec();
        at.Field = "pre_tokenizer";
        if (root.TryGetProperty("pre_tokenizer", out var preJson)) ReadPreTokenizer(preJson, pre, src, "pre_tokenizer");
        var encoder = new BpeEncoder(vocab, bpe)
        {
            Normalizers = normalizers,
            Splitter = pre.Splitter,
            ByteLevel = pre.ByteLevel,
            AddPrefixSpace = pre.AddPrefixSpace,
            Metaspace = pre.Metaspace,
            IgnoreMerges = Bool(model, "ignore_merges"),
            ByteFallback = Bool(model, "byte_fallback"),
            UnkId = unk,
            FuseUnk = Bool(model, "fuse_unk"),
        };

        at.Field = "decoder";
        var (style, strip) = ReadDecoder(root.TryGetProperty("decoder", out var dec) ? dec : default, pre, src);
        at.Field = "post_processor";
        var (prefix, suffix) = ReadPostProcessor(root.TryGetProperty("post_processor", out var post) ? post : default, vocab, src, "post_processor");
        var options = new TokenizerOptions { DecodeStyle = style, StripLeadingSpace = strip, PrefixIds = prefix, SuffixIds = suffix };
        (at.Field, at.File) = ("tokenizer_config.json or generation_config.json beside it", tokenizerJsonPath);
        return new Tokenizer(vocab, encoder, HfSpecialTokens.Apply(options, vocab, Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!));
    }

    internal static JsonElement Prop(JsonElement e, string name, string src) =>
        e.ValueKind != JsonValueKind.Object ? throw new ModelFormatException($"{src}: field '{name}' is looked up in a JSON {e.ValueKind}, not an object")
        : e.TryGetProperty(name, out var v) ? v
        : throw new ModelFormatException($"{src}: field '{name}' is missing");

    static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    static string TypeOf(JsonElement e, string src, string field) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) ? t.GetString() ?? ""
        : throw new ModelFormatException($"{src}: {field} has no 'type'");

    static void AddNormalizer(JsonElement e, List<Func<string, string>> output, string src, string field)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        switch (TypeOf(e, src, field))
        {
            case "NFC": output.Add(Nfc.Normalize); break;
            case "Sequence":
                int i = 0;
                foreach (var n in Prop(e, "normalizers", src).EnumerateArray()) AddNormalizer(n, output, src, $"{field}.normalizers[{i++}]");
                break;
            case "Prepend":
                // tokenizers normalizers/prepend.rs: only non-empty text gets the prefix.
                string prefix = Prop(e, "prepend", src).GetString() ?? "";
                output.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                var pattern = Prop(e, "pattern", src);
                if (!pattern.TryGetProperty("String", out var from))
                    throw new ModelFormatException($"{src}: {field}.pattern: only String patterns are supported for Replace");
                string f = from.GetString() ?? "", to = Prop(e, "content", src).GetString() ?? "";
                output.Add(s => s.Replace(f, to, StringComparison.Ordinal));
                break;
            case var other: throw new ModelFormatException($"{src}: {field}.type '{other}' is not supported (NFC, Prepend, Replace, Sequence)");
        }
    }

    sealed class PreTokenizerSpec
    {
        public IPreTokenizer? Splitter;
        public bool ByteLevel, AddPrefixSpace;
        public Metaspace? Metaspace;
    }

    static void ReadPreTokenizer(JsonElement e, PreTokenizerSpec spec, string src, string field)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        switch (TypeOf(e, src, field))
        {
            case "Sequence":
                int i = 0;
                foreach (var p in Prop(e, "pretokenizers", src).EnumerateArray()) ReadPreTokenizer(p, spec, src, $"{field}.pretokenizers[{i++}]");
                break;
            case "Split":
                var pattern = Prop(e, "pattern", src);
                string behavior = e.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "";
                if (behavior != "Isolated" || Bool(e, "invert") || !pattern.TryGetProperty("Regex", out var regex))
                    throw new ModelFormatException($"{src}: {field}: only a Regex Split with behavior Isolated and invert false is supported");
                if (spec.Splitter is not null) throw new ModelFormatException($"{src}: {field}: only one Split is supported");
                spec.Splitter = PreTokenizerPatterns.Create(regex.GetString() ?? "");
                break;
            case "ByteLevel":
                spec.ByteLevel = true;
                spec.AddPrefixSpace = Bool(e, "add_prefix_space");
                // use_regex defaults to true in tokenizers (byte_level.rs); then ByteLevel splits with GPT-2's regex.
                bool useRegex = !e.TryGetProperty("use_regex", out var ur) || ur.ValueKind == JsonValueKind.True;
                if (useRegex)
                {
                    if (spec.Splitter is not null) throw new ModelFormatException($"{src}: {field}: ByteLevel use_regex after a Split is not supported");
                    spec.Splitter = PreTokenizerPatterns.Create(PreTokenizerPatterns.Gpt2);
                }
                break;
            case "Metaspace":
                string repl = e.TryGetProperty("replacement", out var r) ? r.GetString() ?? "\u2581" : "\u2581";
                string scheme = e.TryGetProperty("prepend_scheme", out var ps) ? ps.GetString() ?? "always"
                    : e.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.False ? "never" : "always";
                bool split = !e.TryGetProperty("split", out var sp) || sp.ValueKind == JsonValueKind.True;
                spec.Metaspace = new Metaspace(repl.Length == 1 ? repl[0] : '\u2581', scheme, split);
                break;
            case var other: throw new ModelFormatException($"{src}: {field}.type '{other}' is not supported (Split, ByteLevel, Metaspace, Sequence)");
        }
    }

    static (DecodeStyle, bool Strip) ReadDecoder(JsonElement e, PreTokenizerSpec pre, string src)
    {
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return pre.ByteLevel ? (DecodeStyle.ByteLevel, false) : (DecodeStyle.SentencePiece, false);
        switch (TypeOf(e, src, "decoder"))
        {
            case "ByteLevel": return (DecodeStyle.ByteLevel, false);
            case "Metaspace":
                return (DecodeStyle.SentencePiece, !(e.TryGetProperty("prepend_scheme", out var ps) && ps.GetString() == "never"));
            case "Sequence":
                bool strip = false, byteLevel = false;
                foreach (var d in Prop(e, "decoders", src).EnumerateArray())
                    switch (TypeOf(d, src, "decoder.decoders[]"))
                    {
                        case "Replace" or "ByteFallback" or "Fuse": break;
                        case "Strip": strip = d.TryGetProperty("start", out var st) && st.GetInt32() > 0; break;
                        case "ByteLevel": byteLevel = true; break;
                        case "Metaspace": strip = true; break;
                        case var other: throw new ModelFormatException($"{src}: decoder.decoders type '{other}' is not supported");
                    }
                return (byteLevel ? DecodeStyle.ByteLevel : DecodeStyle.SentencePiece, strip);
            case var other: throw new ModelFormatException($"{src}: decoder.type '{other}' is not supported (ByteLevel, Metaspace, Sequence)");
        }
    }

    /// <summary>TemplateProcessing "single": the special tokens before and after sequence A.</summary>
    static (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonElement e, Vocabulary vocab, string src, string field)
    {
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return ([], []);
        switch (TypeOf(e, src, field))
        {
            case "ByteLevel": return ([], []);
            case "Sequence":
                int[] pre = [], suf = [];
                int i = 0;
                foreach (var p in Prop(e, "processors", src).EnumerateArray())
                {
                    var (a, b) = ReadPostProcessor(p, vocab, src, $"{field}.processors[{i++}]");
                    pre = [.. pre, .. a]; suf = [.. suf, .. b];
                }
                return (pre, suf);
            case "TemplateProcessing":
                var prefix = new List<int>(); var suffix = new List<int>();
                bool seenA = false;
                foreach (var item in Prop(e, "single", src).EnumerateArray())
                {
                    if (item.TryGetProperty("Sequence", out _)) { seenA = true; continue; }
                    string name = Prop(Prop(item, "SpecialToken", src), "id", src).GetString() ?? "";
                    var ids = e.TryGetProperty("special_tokens", out var st) && st.TryGetProperty(name, out var tok)
                        ? Prop(tok, "ids", src).EnumerateArray().Select(x => x.GetInt32()).ToList()
                        : vocab[name] is int id ? [id] : throw new ModelFormatException($"{src}: {field}.single names special token '{name}' that has no id");
                    (seenA ? suffix : prefix).AddRange(ids);
                }
                return (prefix.ToArray(), suffix.ToArray());
            case var other: throw new ModelFormatException($"{src}: {field}.type '{other}' is not supported (TemplateProcessing, ByteLevel, Sequence)");
        }
    }
}
