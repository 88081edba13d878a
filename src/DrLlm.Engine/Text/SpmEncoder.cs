using System.Text;

namespace DrLlm.Engine.Text;

/// <summary>
/// SentencePiece BPE as llama.cpp runs it for GGUF vocabularies with tokenizer.ggml.model = "llama"
/// (llama-vocab.cpp llm_tokenizer_spm_session): spaces become "▁", a "▁" is put before the text and after each added
/// token (add_space_prefix), then starting from single characters the adjacent pair whose concatenation is the token
/// with the highest score merges first (ties: leftmost). Symbols that end up not being tokens are split back along
/// their merges (resegment) and finally into &lt;0xXX&gt; byte tokens.
/// </summary>
public sealed class SpmEncoder(Vocabulary vocab, float[] scores, bool addSpacePrefix) : ISegmentEncoder
{
    readonly int[] byteTokenIds = Enumerable.Range(0, 256).Select(b => vocab[$"<0x{b:X2}>"] ?? -1).ToArray();

    struct Symbol { public int Prev, Next, Start, Length; }

    public void Encode(ReadOnlySpan<char> segment, bool atStart, List<int> output)
    {
        if (segment.IsEmpty) return;
        // llama_escape_whitespace after prefixing a space when the previous fragment was special (or none).
        var text = ((addSpacePrefix && atStart ? " " : "") + segment.ToString()).Replace(' ', '\u2581');
        var symbols = new List<Symbol>(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            symbols.Add(new Symbol { Prev = symbols.Count - 1, Next = i + len < text.Length ? symbols.Count + 1 : -1, Start = i, Length = len });
            i += len;
        }
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float, int)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        var revMerge = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var syms = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols);

        void TryAddBigram(Span<Symbol> s, int left, int right)
        {
            if (left == -1 || right == -1) return;
            var pair = text.AsSpan(s[left].Start, s[left].Length + s[right].Length);
            if (!vocab.TryGetId(pair, out int id)) return;
            queue.Enqueue((left, right, pair.Length), (scores[id], left));
            revMerge[pair.ToString()] = (left, right);
        }

        for (int i = 1; i < syms.Length; i++) TryAddBigram(syms, i - 1, i);
        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var l = ref syms[bigram.Left];
            ref var r = ref syms[bigram.Right];
            // One of the two was merged into something else since this pair was queued.
            if (l.Length == 0 || r.Length == 0 || l.Length + r.Length != bigram.Size) continue;
            l.Length += r.Length;
            r.Length = 0;
            l.Next = r.Next;
            if (r.Next >= 0) syms[r.Next].Prev = bigram.Left;
            TryAddBigram(syms, l.Prev, bigram.Left);
            TryAddBigram(syms, bigram.Left, l.Next);
        }
        for (int i = 0; i != -1; i = syms[i].Next) Resegment(syms, i);

        void Resegment(Span<Symbol> s, int index)
        {
            var piece = text.AsSpan(s[index].Start, s[index].Length);
            if (vocab.TryGetId(piece, out int id)) { output.Add(id); return; }
            if (revMerge.TryGetValue(piece.ToString(), out var parts))
            {
                Resegment(s, parts.Item1);
                Resegment(s, parts.Item2);
                return;
            }
            foreach (byte b in Encoding.UTF8.GetBytes(piece.ToString()))
                output.Add(byteTokenIds[b] >= 0 ? byteTokenIds[b]
                    : throw new ArgumentException($"byte 0x{b:X2} has no <0x{b:X2}> token in this SentencePiece vocabulary"));
        }
    }
}
