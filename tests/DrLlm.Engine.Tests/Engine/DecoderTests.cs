using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;
using DrLlm.Engine.Tests.Reference;

namespace DrLlm.Engine.Tests.Engine;

public class DecoderTests
{
    public static TheoryData<string> Families => ["llama", "llama3", "qwen2", "qwen3"];

    private static ModelConfig Llama(int layers = 4) => RandomModels.TinyLlamaGqa with { NumLayers = layers };

    private static ModelConfig Config(string family) => family switch
    {
        "llama" => Llama(),
        "llama3" => RandomModels.TinyLlama3Scaled,
        "qwen2" => RandomModels.TinyQwen2,
        "qwen3" => RandomModels.TinyQwen3,
        _ => throw new ArgumentException(family),
    };

    private static Dictionary<string, float[]> Weights(ModelConfig c, int seed) => RandomModels.RandomWeights(c, seed, scale: 0.1f);

    /// <summary>The float64 oracle's logits for the last token under <paramref name="path"/>.</summary>
    private static double[] Expected(ModelConfig c, Dictionary<string, float[]> w, int[] tokens, LayerPath path) =>
        NaiveForward.LogitsAll(c, w, tokens, path.Steps)[^c.VocabSize..];

    private static readonly int[] Prompt = [3, 17, 42, 5, 88, 1, 60, 23, 9, 71, 14];

    private static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double relTol)
    {
        double scale = expected.Max(Math.Abs), maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
        Assert.True(maxDiff <= relTol * scale, $"max |diff| {maxDiff:G4} > {relTol} × scale {scale:G4}");
    }

    [Theory, MemberData(nameof(Families))]
    public void Default_path_matches_the_naive_reference(string family)
    {
        var c = Config(family);
        var w = Weights(c, seed: 1);
        using var m = RandomModels.InMemory(c, w);
        using var s = m.CreateSession();
        var logits = s.Prefill(Prompt, LayerPath.Default(c.NumLayers));
        AssertClose(logits, Expected(c, w, Prompt, LayerPath.Default(c.NumLayers)), 1e-4);
    }

    [Theory]
    [InlineData("llama", "0,1,1,3")]
    [InlineData("llama", "2")]
    [InlineData("qwen2", "0,0,1,1,2,2")]
    [InlineData("qwen3", "1,2,2")]
    public void Skips_and_repeats_match_the_naive_reference(string family, string pathText)
    {
        var c = Config(family);
        var w = Weights(c, seed: 2);
        var path = LayerPath.Parse(pathText, c.NumLayers);
        using var m = RandomModels.InMemory(c, w);
        using var s = m.CreateSession();
        AssertClose(s.Prefill(Prompt, path), Expected(c, w, Prompt, path), 1e-4);
    }

    [Fact]
    public void A_path_equals_the_plain_forward_of_the_model_whose_blocks_are_the_path()
    {
        var c = Llama();
        var w = Weights(c, seed: 3);
        var path = LayerPath.Parse("0,0,2,3,3", c.NumLayers);
        var (uc, uw) = RandomModels.Unrolled(c, w, path.Steps);
        using var m = RandomModels.InMemory(c, w);
        using var u = RandomModels.InMemory(uc, uw);
        using var s1 = m.CreateSession();
        using var s2 = u.CreateSession();
        var a = s1.Prefill(Prompt, path).ToArray();
        var b = s2.Prefill(Prompt, LayerPath.Default(uc.NumLayers)).ToArray();
        Assert.Equal(b, a); // same blocks, same order, same shapes: bit-identical
    }

    [Theory]
    [InlineData("llama", "0,1,2,3")]
    [InlineData("llama", "0,0,2,2,3")]
    [InlineData("qwen2", "1,1,2")]
    [InlineData("qwen3", "0,2,2")]
    public void Incremental_decode_equals_full_recomputation(string family, string pathText)
    {
        var c = Config(family);
        var w = Weights(c, seed: 4);
        var path = LayerPath.Parse(pathText, c.NumLayers);
        using var m = RandomModels.InMemory(c, w);
        using var s = m.CreateSession();
        using var fresh = m.CreateSession();
        var tokens = Prompt.ToList();
        var logits = s.Prefill(Prompt, path).ToArray();
        for (int i = 0; i < 6; i++)
        {
            int next = i * 13 % c.VocabSize; // a fixed, non-greedy continuation exercises arbitrary tokens
            tokens.Add(next);
            logits = s.DecodeStep(next).ToArray();
            var full = fresh.Prefill(tokens.ToArray(), path).ToArray();
            AssertClose(logits, full.Select(v => (double)v).ToArray(), 1e-5);
        }
    }

    [Fact]
    public void Prefix_reuse_in_the_prefill_is_bit_identical_to_recomputation_and_counts_saved_blocks()
    {
        var c = Llama(6);
        var w = Weights(c, seed: 5);
        using var m = RandomModels.InMemory(c, w);
        using var reused = m.CreateSession();
        reused.Prefill(Prompt, LayerPath.Default(6));
        Assert.Equal(6, reused.BlockRuns);
        // A prefill's last step is computed for the last row only and is not stored. Stored steps before each
        // prefill → reused / run:
        //   0,1,2,3,4     → 0,1,2,4,5   reuses 0,1,2 (3), runs 4,5 (2)
        //   0,1,2,4       → 0,1,2,4,4,5 reuses 0,1,2,4 (4), runs 4,5 (2)
        //   0,1,2,4,4     → 0,1         reuses 0 (1); 1 is stored but, as the last step, runs again for the last row (1)
        //   0,1,2,4,4     → 0,1,2,3,4,5 reuses 0,1,2 (3), runs 3,4,5 (3)
        //   0,1,2,3,4     → 1,2,3       reuses none, runs 3
        var cases = new (string Path, int Saved, int Run)[] { ("0,1,2,4,5", 3, 2), ("0,1,2,4,4,5", 4, 2), ("0,1", 1, 1), ("0,1,2,3,4,5", 3, 3), ("1,2,3", 0, 3) };
        foreach (var (text, saved, run) in cases)
        {
            var path = LayerPath.Parse(text, 6);
            long runs0 = reused.BlockRuns, saved0 = reused.BlockRunsSaved;
            var a = reused.Prefill(Prompt, path).ToArray();
            Assert.Equal((saved, run), ((int)(reused.BlockRunsSaved - saved0), (int)(reused.BlockRuns - runs0)));
            using var fresh = m.CreateSession();
            Assert.Equal(fresh.Prefill(Prompt, path).ToArray(), a);
        }
    }

    [Fact]
    public void Prefix_reuse_across_generated_tokens_is_bit_identical_to_recomputation()
    {
        var c = Llama(6);
        var w = Weights(c, seed: 15);
        using var m = RandomModels.InMemory(c, w);
        using var reused = m.CreateSession();
        string[] paths = ["0,1,2,3,4,5", "0,1,2,4,5", "0,1,2,4,4,5", "0,1,2", "0,1,2,3,4,5", "0,0,1,2,3,4,5", "2,3"];
        long savedInDecode = 0;
        foreach (var text in paths)
        {
            var path = LayerPath.Parse(text, 6);
            using var fresh = m.CreateSession();
            fresh.ReusePrefix = false;
            var expected = new List<float[]> { fresh.Prefill(Prompt, path).ToArray() };
            var actual = new List<float[]> { reused.Prefill(Prompt, path).ToArray() };
            long saved0 = reused.BlockRunsSaved;
            // Feed the same continuation to both (a fixed one: greedy outputs of random models may differ by path),
            // then rewind and feed it again: the second pass reuses every step.
            foreach (var t in new[] { 7, 11, 7, 3 })
            {
                expected.Add(fresh.DecodeStep(t).ToArray());
                actual.Add(reused.DecodeStep(t).ToArray());
            }
            savedInDecode += reused.BlockRunsSaved - saved0;
            reused.Rewind(Prompt.Length);
            long before = reused.BlockRunsSaved;
            foreach (var t in new[] { 7, 11 }) actual.Add(reused.DecodeStep(t).ToArray());
            expected.Add(expected[1]);
            expected.Add(expected[2]);
            Assert.Equal(2L * path.Length, reused.BlockRunsSaved - before);
            for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
            Assert.Equal(0, fresh.BlockRunsSaved);
        }
        Assert.True(savedInDecode > 0);
    }

    /// <summary>
    /// A model's logits do not depend on its thread count, nor on another model with another thread count computing
    /// at the same time in the process (OpenBLAS's global thread setting once made them do so).
    /// </summary>
    [Fact]
    public async Task Logits_are_bit_identical_for_every_thread_count_also_beside_another_model()
    {
        var c = Llama(6);
        var w = Weights(c, seed: 21);
        var prompt = Enumerable.Range(0, 70).Select(i => (i * 7 + 3) % c.VocabSize).ToArray();
        var path = LayerPath.Parse("0,1,1,2,4,5", 6);
        float[][] Run(int threads)
        {
            using var m = RandomModels.InMemory(c, w, threads);
            using var s = m.CreateSession();
            var outs = new List<float[]> { s.Prefill(prompt, path).ToArray() };
            foreach (var t in new[] { 5, 9, 2 }) outs.Add(s.DecodeStep(t).ToArray());
            outs.Add(s.Extend([4, 8, 15, 16], allLogits: true).ToArray());
            return [.. outs];
        }
        var expected = Run(1);
        using var stop = new CancellationTokenSource();
        var other = Task.Run(() => { while (!stop.IsCancellationRequested) Run(3); });
        try
        {
            foreach (var threads in new[] { 2, 3, 1 })
            {
                var actual = Run(threads);
                for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
            }
        }
        finally { stop.Cancel(); await other; }
    }

    /// <summary>
    /// A session given a copy of another's stored run (prompt steps and generated tokens) continues exactly as the
    /// source would: same logits as recomputation, the copied steps counted as saved, and the source's run untouched.
    /// </summary>
    [Fact]
    public void A_copied_stored_run_is_reused_bit_identically_and_leaves_the_source_as_it_was()
    {
        var c = Llama(6);
        var w = Weights(c, seed: 25);
        using var m = RandomModels.InMemory(c, w);
        using var source = m.CreateSession();
        using var copy = m.CreateSession();
        int[] continuation = [7, 11, 7];
        source.Prefill(Prompt, LayerPath.Default(6));
        foreach (var t in continuation) source.DecodeStep(t);

        var path = LayerPath.Parse("0,1,2,3,5", 6);
        copy.CopyStoredRun(source, 4);
        Assert.Equal(4, copy.ReusableSteps(Prompt, path.Steps.ToArray()));
        Assert.Equal(0, copy.BlockRuns + copy.BlockRunsSaved); // a copy runs and counts nothing
        using var fresh = m.CreateSession();
        fresh.ReusePrefix = false;
        Assert.Equal(fresh.Prefill(Prompt, path).ToArray(), copy.Prefill(Prompt, path).ToArray());
        foreach (var t in continuation) Assert.Equal(fresh.DecodeStep(t).ToArray(), copy.DecodeStep(t).ToArray());
        // Prefill: 4 steps reused, 1 run; each decoded token (same tokens as the source's): 4 reused, 1 run.
        Assert.Equal((4L + 3 * 4, 1L + 3 * 1), (copy.BlockRunsSaved, copy.BlockRuns));

        // The source still holds its default-path run (all but the last step, which a prefill computes for one row).
        Assert.Equal(5, source.ReusableSteps(Prompt, LayerPath.Default(6).Steps.ToArray()));
        using var fresh2 = m.CreateSession();
        Assert.Equal(fresh2.Prefill(Prompt, LayerPath.Default(6)).ToArray(), source.Prefill(Prompt, LayerPath.Default(6)).ToArray());

        Assert.Throws<ArgumentException>(() => copy.CopyStoredRun(copy, 2));
        using var other = RandomModels.InMemory(c, w);
        using var foreign = other.CreateSession();
        Assert.Throws<ArgumentException>(() => foreign.CopyStoredRun(source, 2));
    }

    /// <summary>
    /// A prefill's last step runs attention and MLP for the last row only; the logits must not depend on how the path got
    /// there: a plain Prefill, step by step with every hidden state read (as routers do, which computes each step in
    /// full), or reusing a stored run that holds the last step in full.
    /// </summary>
    [Fact]
    public void The_last_row_only_last_step_gives_the_same_logits_on_every_route()
    {
        var c = Llama(6);
        var w = Weights(c, seed: 35);
        using var m = RandomModels.InMemory(c, w);
        var path = LayerPath.Parse("0,1,1,3,5", 6);
        using var plain = m.CreateSession();
        var expected = plain.Prefill(Prompt, path).ToArray();
        AssertClose(expected, Expected(c, w, Prompt, path), 1e-4);

        using var stepwise = m.CreateSession();
        stepwise.BeginPrefill(Prompt);
        for (int k = 0; k < path.Length; k++)
        {
            stepwise.RunStep(path.Steps[k]);
            _ = stepwise.HiddenEnteringStep(k + 1); // forces step k in full
        }
        Assert.Equal(expected, stepwise.FinishPrefill().ToArray());
        Assert.Equal(Prompt.Length * c.HiddenSize, stepwise.HiddenEnteringStep(path.Length).Length); // computed in full: readable

        using var reused = m.CreateSession();
        reused.Prefill(Prompt, LayerPath.Parse("0,1,1,3,5,5", 6)); // stores 0,1,1,3,5 in full
        long saved0 = reused.BlockRunsSaved, runs0 = reused.BlockRuns;
        Assert.Equal(expected, reused.Prefill(Prompt, path).ToArray());
        Assert.Equal((4L, 1L), (reused.BlockRunsSaved - saved0, reused.BlockRuns - runs0)); // the last step runs its last row

        var ex = Assert.Throws<InvalidOperationException>(() => plain.HiddenEnteringStep(path.Length));
        Assert.Contains("last prompt position only", ex.Message);
    }

    [Fact]
    public void Hidden_state_entering_each_step_is_exposed()
    {
        var c = Llama();
        var w = Weights(c, seed: 6);
        using var m = RandomModels.InMemory(c, w);
        using var s = m.CreateSession();
        s.BeginPrefill(Prompt);
        var h0 = s.HiddenEnteringStep(0).ToArray();
        Assert.Equal(w["model.embed_tokens.weight"].AsSpan(Prompt[0] * c.HiddenSize, c.HiddenSize).ToArray(), h0[..c.HiddenSize]);
        s.RunStep(0);
        s.RunStep(0);
        Assert.NotEqual(s.HiddenEnteringStep(1).ToArray(), s.HiddenEnteringStep(2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => s.HiddenEnteringStep(3));
        var ex = Assert.Throws<ArgumentException>(() => s.RunStep(0));
        Assert.Contains("more than twice", ex.Message);
    }

    [Fact]
    public void Greedy_generation_stops_at_a_stop_token()
    {
        var c = Llama();
        var w = Weights(c, seed: 7);
        using var m = RandomModels.InMemory(c, w);
        using var s = m.CreateSession();
        var path = LayerPath.Default(c.NumLayers);
        var free = Generation.Greedy(s, Prompt, path, 8);
        Assert.Equal(8, free.Tokens.Length);
        Assert.Equal(StopReason.MaxTokens, free.StopReason);
        var stopped = Generation.Greedy(s, Prompt, path, 8, new HashSet<int> { free.Tokens[2] });
        int firstStop = Array.IndexOf(free.Tokens, free.Tokens[2]);
        Assert.Equal(free.Tokens[..firstStop], stopped.Tokens);
        Assert.Equal(StopReason.StopToken, stopped.StopReason);
    }

    [Fact]
    public void Continuation_scores_equal_the_log_probs_of_a_full_forward()
    {
        var c = RandomModels.TinyQwen2;
        var w = Weights(c, seed: 8);
        var path = LayerPath.Parse("0,2,2", c.NumLayers);
        using var m = RandomModels.InMemory(c, w);
        using var s = m.CreateSession();
        int[][] conts = [[5], [7, 8, 9], [90, 2]];
        var scores = Generation.ScoreContinuations(s, Prompt, conts, path);
        for (int i = 0; i < conts.Length; i++)
        {
            var all = Prompt.Concat(conts[i]).ToArray();
            var logits = NaiveForward.LogitsAll(c, w, all, path.Steps);
            double expected = 0;
            for (int j = 0; j < conts[i].Length; j++)
            {
                var row = logits.AsSpan((Prompt.Length - 1 + j) * c.VocabSize, c.VocabSize).ToArray();
                double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                expected += row[conts[i][j]] - lse;
            }
            Assert.True(Math.Abs(scores[i] - expected) < 1e-3, $"candidate {i}: {scores[i]} vs {expected}");
        }
    }

    [Fact]
    public void Bad_tokens_and_paths_give_clear_errors()
    {
        var c = Llama();
        using var m = RandomModels.InMemory(c, Weights(c, seed: 9));
        using var s = m.CreateSession();
        Assert.Contains("token 1 is 128", Assert.Throws<ArgumentException>(() => s.Prefill([1, 128], LayerPath.Default(4))).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => s.Prefill([], LayerPath.Default(4))).Message);
        Assert.Contains("has 4", Assert.Throws<ArgumentException>(() => s.Prefill([1], LayerPath.Default(5))).Message);
        Assert.Contains("before prefill", Assert.Throws<InvalidOperationException>(() => m.CreateSession().DecodeStep(1)).Message);
    }
}

public class DecodeAllocationTests
{
    [Theory]
    [InlineData(1, TensorDType.F32)]
    [InlineData(2, TensorDType.F32)]
    [InlineData(2, TensorDType.BF16)]
    [InlineData(2, TensorDType.Q8_0)]
    public void Decoding_a_token_allocates_nothing_on_the_managed_heap(int threads, TensorDType type)
    {
        var c = RandomModels.TinyQwen2;
        using var dir = new TempDir();
        string file = dir.File("m.gguf");
        GgufCheckpointWriter.Write(file, c, RandomModels.RandomWeights(c, 1, 0.1f), type);
        using var m = Decoder.Load(file, threads);
        using var s = m.CreateSession();
        s.Prefill([1, 2, 3, 4, 5, 6, 7, 8], LayerPath.Parse("0,1,1,2", c.NumLayers));
        for (int i = 0; i < 200; i++) s.DecodeStep(i % c.VocabSize); // grow the KV cache and rope table past the test's range, JIT everything
        s.Rewind(8);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) s.DecodeStep(i % c.VocabSize);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
