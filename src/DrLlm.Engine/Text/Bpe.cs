namespace DrLlm.Engine.Text;

/// <summary>
/// BPE merges over token ids: the pair (left, right) becomes token <c>merged</c> with priority <c>rank</c> (its line in
/// tokenizer.json model.merges / GGUF tokenizer.ggml.merges). The lowest rank merges first; among equal ranks the
/// leftmost pair (Hugging Face tokenizers models/bpe/word.rs merge_all; llama-vocab.cpp llm_tokenizer_bpe_session).
/// </summary>
public sealed class Bpe
{
    readonly Dictionary<long, long> merges; // (left << 32 | right) -> (rank << 32 | merged)

    Bpe(Dictionary<long, long> merges) => this.merges = merges;

    public int Count => merges.Count;

    /// <summary>
    /// Merges from "left right" lines (or pairs). A merge naming a token the vocabulary lacks is an error naming
    /// <paramref name="source"/> and the line, as is a merge whose concatenation is missing.
    /// </summary>
    public static Bpe FromPairs(IReadOnlyList<(string Left, string Right)> pairs, Vocabulary vocab, string source)
    {
        var map = new Dictionary<long, long>(pairs.Count);
        for (int rank = 0; rank < pairs.Count; rank++)
        {
            var (l, r) = pairs[rank];
            int? a = vocab[l], b = vocab[r], m = vocab[l + r];
            if (a is null || b is null || m is null)
                throw new Model.ModelFormatException($"{source}: merge {rank} ('{l} {r}') names a token missing from the vocabulary");
            map.TryAdd(((long)a.Value << 32) | (uint)b.Value, ((long)rank << 32) | (uint)m.Value);
        }
        return new Bpe(map);
    }

    /// <summary>Splits "left right" merge lines at the single space (tokenizer.json v1 / GGUF format).</summary>
    public static (string, string) ParseLine(string line, string source, int index)
    {
        int sp = line.IndexOf(' ', 1); // a token can start with a space only in odd vocabularies; skip position 0
        if (sp < 0 || line.IndexOf(' ', sp + 1) >= 0)
            throw new Model.ModelFormatException($"{source}: merge {index} ('{line}') is not two tokens separated by one space");
        return (line[..sp], line[(sp + 1)..]);
    }

    bool TryMerge(int left, int right, out long rankAndMerged) =>
        merges.TryGetValue(((long)left << 32) | (uint)right, out rankAndMerged);

    [ThreadStatic] static Scratch? scratch;

    sealed class Scratch
    {
        public int[] Next = new int[64], Prev = new int[64];
        public readonly PriorityQueue<int, long> Queue = new();
    }

    /// <summary>Applies all merges to <paramref name="ids"/> in place and returns how many symbols remain at its start.</summary>
    public int Apply(Span<int> ids)
    {
        int n = ids.Length;
        if (n < 2 || merges.Count == 0) return n;
        var s = scratch ??= new Scratch();
        if (s.Next.Length < n) { s.Next = new int[n * 2]; s.Prev = new int[n * 2]; }
        var next = s.Next; var prev = s.Prev; var q = s.Queue;
        q.Clear();
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        for (int i = 0; i + 1 < n; i++)
            if (TryMerge(ids[i], ids[i + 1], out long rm)) q.Enqueue(i, (rm & ~0xFFFFFFFFL) | (uint)i);
        while (q.TryDequeue(out int pos, out long priority))
        {
            // Stale entries: the left symbol was merged away (marked -1) or its right neighbour changed.
            if (ids[pos] < 0 || next[pos] < 0) continue;
            int right = next[pos];
            if (!TryMerge(ids[pos], ids[right], out long rm) || (rm >> 32) != (priority >> 32)) continue;
            ids[pos] = (int)(rm & 0xFFFFFFFF);
            ids[right] = -1;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0 && TryMerge(ids[prev[pos]], ids[pos], out long lm)) q.Enqueue(prev[pos], (lm & ~0xFFFFFFFFL) | (uint)prev[pos]);
            if (next[pos] >= 0 && TryMerge(ids[pos], ids[next[pos]], out long nm)) q.Enqueue(pos, (nm & ~0xFFFFFFFFL) | (uint)pos);
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) ids[count++] = ids[i];
        return count;
    }
}
