using System.Buffers;
using System.Text;

namespace DrLlm.Engine.Text;

/// <summary>Encodes one run of plain text (no added tokens in it) into ids.</summary>
public interface ISegmentEncoder
{
    /// <param name="atStart">the run starts the text or follows an added token (SentencePiece prefixes "▁" there).</param>
    void Encode(ReadOnlySpan<char> text, bool atStart, List<int> output);
}

/// <summary>How ids become bytes: byte-level BPE (GPT-2 character map) or SentencePiece ("▁" is a space, &lt;0xXX&gt; a byte).</summary>
public enum DecodeStyle { ByteLevel, SentencePiece }

/// <summary>What differs between tokenizers besides the vocabulary and the encoder.</summary>
public sealed record TokenizerOptions
{
    public DecodeStyle DecodeStyle { get; init; }
    /// <summary>Drop one leading space of the decoded text (tokenizer.json decoder Strip start=1 / Metaspace; llama.cpp add_space_prefix).</summary>
    public bool StripLeadingSpace { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>Ids put before/after the text when addSpecialTokens is true (BOS, EOS).</summary>
    public IReadOnlyList<int> PrefixIds { get; init; } = [];
    public IReadOnlyList<int> SuffixIds { get; init; } = [];
}

/// <summary>
/// A tokenizer assembled from a <see cref="Vocabulary"/>, an encoder for plain text and <see cref="TokenizerOptions"/>.
/// Thread-safe: encoders keep their scratch per thread.
/// </summary>
public sealed class Tokenizer : ITokenizer
{
    readonly Vocabulary vocab;
    readonly ISegmentEncoder encoder;
    readonly TokenizerOptions options;
    readonly AddedTokenSplitter added;
    readonly byte[]?[] pieces;

    public Tokenizer(Vocabulary vocab, ISegmentEncoder encoder, TokenizerOptions options)
    {
        this.vocab = vocab; this.encoder = encoder; this.options = options;
        added = new AddedTokenSplitter(vocab.AddedTokens());
        pieces = new byte[vocab.Count][];
    }

    public Vocabulary Vocabulary => vocab;
    public TokenizerOptions Options => options;
    public int VocabSize => vocab.Count;
    public int? BosTokenId => options.BosTokenId;
    public IReadOnlyList<int> EosTokenIds => options.EosTokenIds;
    public int? TokenToId(string token) => vocab[token];

    public string IdToToken(int id) => id >= 0 && id < vocab.Count ? vocab.Tokens[id]
        : throw new ArgumentException($"token id {id} is outside the vocabulary (0..{vocab.Count - 1})");

    public int[] Encode(string text, bool addSpecialTokens = true) => Encode(text, addSpecialTokens, parseSpecialTokens: true);

    /// <param name="parseSpecialTokens">false: added tokens written in the text are tokenized as plain text (llama.cpp
    /// parse_special=false, which its tokenizer tests use).</param>
    public int[] Encode(string text, bool addSpecialTokens, bool parseSpecialTokens)
    {
        var output = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) output.AddRange(options.PrefixIds);
        if (parseSpecialTokens && !added.IsEmpty)
        {
            var parts = new List<(int Start, int Length, int Id)>();
            added.Split(text, parts);
            bool atStart = true;
            foreach (var (start, length, id) in parts)
            {
                if (id >= 0) { output.Add(id); atStart = true; continue; }
                encoder.Encode(text.AsSpan(start, length), atStart, output);
                atStart = false;
            }
        }
        else if (text.Length > 0) encoder.Encode(text, true, output);
        if (addSpecialTokens) output.AddRange(options.SuffixIds);
        return output.ToArray();
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var buffer = new ArrayBufferWriter<byte>(ids.Length * 4 + 16);
        foreach (int id in ids)
        {
            if (id < 0 || id >= vocab.Count)
                throw new ArgumentException($"token id {id} is outside the vocabulary (0..{vocab.Count - 1})");
            if (skipSpecialTokens && vocab.IsSpecial[id]) continue;
            buffer.Write(pieces[id] ??= PieceBytes(id));
        }
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan); // invalid UTF-8 becomes U+FFFD (HF errors="replace")
        return options.StripLeadingSpace && text.StartsWith(' ') ? text[1..] : text;
    }

    /// <summary>
    /// The bytes token <paramref name="id"/> stands for: added tokens as written; byte-level tokens through the GPT-2
    /// map (tokenizers decoders ByteLevel); SentencePiece "&lt;0xXX&gt;" as that byte (decoders ByteFallback, llama-vocab.cpp
    /// token_to_piece LLAMA_TOKEN_ATTR_BYTE) and "▁" as a space (decoders Replace / Metaspace).
    /// </summary>
    byte[] PieceBytes(int id)
    {
        var t = vocab.Tokens[id];
        if (vocab.IsAdded[id]) return Encoding.UTF8.GetBytes(t);
        if (options.DecodeStyle == DecodeStyle.ByteLevel)
        {
            var bytes = new List<byte>(t.Length);
            foreach (char c in t)
            {
                int b = ByteLevel.CharToByte(c);
                if (b >= 0) bytes.Add((byte)b);
                else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
            return bytes.ToArray();
        }
        if (ByteToken(t) is int byteValue) return [(byte)byteValue];
        return Encoding.UTF8.GetBytes(t.Replace('\u2581', ' '));
    }

    /// <summary>The byte of a SentencePiece byte token "&lt;0xXX&gt;", or null.</summary>
    public static int? ByteToken(string t) =>
        t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
        && int.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out int b) ? b : null;
}
