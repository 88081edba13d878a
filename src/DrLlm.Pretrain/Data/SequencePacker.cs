namespace DrLlm.Pretrain.Data;

/// <summary>
/// Packs examples, each as &lt;|bos|&gt; prompt completion &lt;|eos|&gt;, whole and back to back into rows of T + 1
/// tokens (inputs are the first T, targets the last T), padding a row's tail with &lt;|pad|&gt; when the next example
/// does not fit. Examples are never split across rows, so every completion is trained with its prompt in view; an
/// example longer than a row is cut to the row. The state is one number, <see cref="NextExample"/>.
/// </summary>
public sealed class SequencePacker(ITrainingCorpus corpus, int seed, int seqLen, bool completionOnly)
{
    /// <summary>Index of the next example to pack: the data position a checkpoint stores.</summary>
    public long NextExample { get; set; }
    public int Seed => seed;

    /// <summary>
    /// Fills inputs/targets/mask [batch·T]. mask[j] = 1 when target j counts: a completion token or the closing
    /// &lt;|eos|&gt; (completion-only), or any non-pad token (all tokens).
    /// </summary>
    public void NextBatch(int batch, Span<int> inputs, Span<int> targets, Span<float> mask)
    {
        int row = seqLen + 1;
        var tokens = new int[row];
        var counts = new bool[row];
        for (int b = 0; b < batch; b++)
        {
            int used = 0;
            while (used < row)
            {
                var (ids, isCompletion) = Encode(corpus.Example(seed, NextExample));
                if (used > 0 && used + ids.Length > row) break;
                int take = Math.Min(ids.Length, row - used);
                Array.Copy(ids, 0, tokens, used, take);
                Array.Copy(isCompletion, 0, counts, used, take);
                used += take;
                NextExample++;
            }
            Array.Fill(tokens, ByteTokenizer.Pad, used, row - used);
            Array.Fill(counts, false, used, row - used);
            for (int j = 0; j < seqLen; j++)
            {
                inputs[b * seqLen + j] = tokens[j];
                targets[b * seqLen + j] = tokens[j + 1];
                mask[b * seqLen + j] = (completionOnly ? counts[j + 1] : tokens[j + 1] != ByteTokenizer.Pad) ? 1f : 0f;
            }
        }
    }

    /// <summary>&lt;|bos|&gt; prompt completion &lt;|eos|&gt; and which of those tokens are the completion's (eos included).</summary>
    public static (int[] Ids, bool[] IsCompletion) Encode(TrainingExample e)
    {
        var p = ByteTokenizer.Encode(e.Prompt);
        var c = ByteTokenizer.Encode(e.Completion);
        var ids = new int[p.Length + c.Length + 2];
        var comp = new bool[ids.Length];
        ids[0] = ByteTokenizer.Bos;
        p.CopyTo(ids, 1);
        c.CopyTo(ids, 1 + p.Length);
        ids[^1] = ByteTokenizer.Eos;
        for (int i = 1 + p.Length; i < ids.Length; i++) comp[i] = true;
        return (ids, comp);
    }
}
