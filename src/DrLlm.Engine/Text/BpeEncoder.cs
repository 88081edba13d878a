using System.Collections.Concurrent;
using System.Text;

namespace DrLlm.Engine.Text;

/// <summary>Metaspace pre-tokenizer settings (tokenizers pre_tokenizers/metaspace.rs): spaces become "▁".</summary>
/// <param name="PrependScheme">"always", "first" (only at the start of the text) or "never".</param>
/// <param name="Split">cut before each "▁".</param>
public sealed record Metaspace(char Replacement, string PrependScheme, bool Split);

/// <summary>
/// The Hugging Face BPE pipeline for one run of text: normalizer → pre-tokenizer → BPE model, as tokenizer.json
/// describes it (and as GGUF "gpt2" vocabularies imply: regex split, then byte-level). Words are BPE-encoded once and
/// cached.
/// </summary>
public sealed class BpeEncoder : ISegmentEncoder
{
    /// <summary>Normalizers applied in order (tokenizer.json "normalizer": NFC, Prepend, Replace).</summary>
    public IReadOnlyList<Func<string, string>> Normalizers { get; init; } = [];
    /// <summary>Regex split (tokenizer.json Split with behavior Isolated, or ByteLevel use_regex); null: one word.</summary>
    public IPreTokenizer? Splitter { get; init; }
    /// <summary>Map each word's UTF-8 bytes to GPT-2 characters (tokenizer.json ByteLevel pre-tokenizer).</summary>
    public bool ByteLevel { get; init; }
    /// <summary>ByteLevel add_prefix_space: a space before text that does not start with one.</summary>
    public bool AddPrefixSpace { get; init; }
    public Metaspace? Metaspace { get; init; }
    /// <summary>BPE model ignore_merges: a word that is itself a token is not merged (Llama-3; llama-vocab.cpp ignore_merges).</summary>
    public bool IgnoreMerges { get; init; }
    /// <summary>BPE model byte_fallback: characters missing from the vocabulary become their &lt;0xXX&gt; byte tokens.</summary>
    public bool ByteFallback { get; init; }
    public int? UnkId { get; init; }
    public bool FuseUnk { get; init; }

    readonly Vocabulary vocab;
    readonly Bpe bpe;
    readonly int[] byteTokenIds = new int[256];
    readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheLookup;
    const int MaxCachedWordLength = 64, MaxCacheEntries = 1 << 18;

    public BpeEncoder(Vocabulary vocab, Bpe bpe)
    {
        this.vocab = vocab; this.bpe = bpe;
        for (int b = 0; b < 256; b++) byteTokenIds[b] = vocab[$"<0x{b:X2}>"] ?? -1;
        cacheLookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    [ThreadStatic] static List<(int, int)>? wordsScratch;
    [ThreadStatic] static char[]? charScratch;
    [ThreadStatic] static int[]? idScratch;

    public void Encode(ReadOnlySpan<char> segment, bool atStart, List<int> output)
    {
        if (segment.IsEmpty) return;
        string? text = null;
        foreach (var normalize in Normalizers) text = normalize(text ?? segment.ToString());
        if (Metaspace is { } ms)
        {
            text = (text ?? segment.ToString()).Replace(' ', ms.Replacement);
            bool prepend = ms.PrependScheme == "always" || (ms.PrependScheme == "first" && atStart);
            if (prepend && !text.StartsWith(ms.Replacement)) text = ms.Replacement + text;
        }
        if (ByteLevel && AddPrefixSpace && !(text ?? segment.ToString()).StartsWith(' ')) text = " " + (text ?? segment.ToString());
        var span = text is null ? segment : text.AsSpan();
        if (span.IsEmpty) return;

        var words = wordsScratch ??= new List<(int, int)>();
        words.Clear();
        if (Splitter is not null) Splitter.Split(span, words);
        else if (Metaspace is { Split: true } m) SplitBefore(span, m.Replacement, words);
        else words.Add((0, span.Length));
        foreach (var (start, length) in words)
        {
            var word = span.Slice(start, length);
            if (ByteLevel) word = ToByteLevel(word);
            EncodeWord(word, output);
        }
    }

    static void SplitBefore(ReadOnlySpan<char> text, char c, List<(int, int)> words)
    {
        int start = 0;
        for (int i = 1; i < text.Length; i++)
            if (text[i] == c) { words.Add((start, i - start)); start = i; }
        words.Add((start, text.Length - start));
    }

    /// <summary>The word's UTF-8 bytes as GPT-2 characters, in a per-thread buffer valid until the next call.</summary>
    static ReadOnlySpan<char> ToByteLevel(ReadOnlySpan<char> word)
    {
        int max = Encoding.UTF8.GetMaxByteCount(word.Length);
        Span<byte> bytes = max <= 1024 ? stackalloc byte[max] : new byte[max];
        int n = Encoding.UTF8.GetBytes(word, bytes);
        if (charScratch is null || charScratch.Length < n) charScratch = new char[Math.Max(n, 256)];
        for (int i = 0; i < n; i++) charScratch[i] = Text.ByteLevel.ByteToChar[bytes[i]];
        return charScratch.AsSpan(0, n);
    }

    void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (cacheLookup.TryGetValue(word, out var cached)) { output.AddRange(cached); return; }
        if (IgnoreMerges && vocab.TryGetId(word, out int whole)) { output.Add(whole); return; }
        if (idScratch is null || idScratch.Length < 4 * word.Length) idScratch = new int[Math.Max(4 * word.Length, 256)];
        var ids = idScratch;
        int n = 0;
        for (int i = 0; i < word.Length;)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var ch = word.Slice(i, len);
            i += len;
            if (vocab.TryGetId(ch, out int id)) { ids[n++] = id; continue; }
            if (ByteFallback && AllBytesKnown(ch, out var bytes))
            {
                foreach (byte b in bytes) ids[n++] = byteTokenIds[b];
                continue;
            }
            if (UnkId is not int unk)
                throw new ArgumentException($"character U+{char.ConvertToUtf32(ch.ToString(), 0):X4} has no token and the vocabulary has no unk_token or byte fallback");
            if (FuseUnk && n > 0 && ids[n - 1] == unk) continue;
            ids[n++] = unk;
        }
        n = bpe.Apply(ids.AsSpan(0, n));
        var result = ids.AsSpan(0, n).ToArray();
        output.AddRange(result);
        if (word.Length <= MaxCachedWordLength)
        {
            if (cache.Count >= MaxCacheEntries) cache.Clear();
            cacheLookup.TryAdd(word, result);
        }
    }

    bool AllBytesKnown(ReadOnlySpan<char> ch, out byte[] bytes)
    {
        bytes = Encoding.UTF8.GetBytes(ch.ToString());
        foreach (byte b in bytes) if (byteTokenIds[b] < 0) return false;
        return true;
    }
}
