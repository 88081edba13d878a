using System.Text.Json;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Pretrain.Data;
using DrLlm.Pretrain.Model;
using DrLlm.Pretrain.Training;
using DrLlm.Tests.Shared;

namespace DrLlm.Pretrain.Tests;

/// <summary>Layer drop (<see cref="PretrainOptions.LayerDrop"/>): the identity forward and backward, deterministic masks, exact resume.</summary>
public unsafe class LayerDropTests
{
    private static (int[] Inputs, int[] Targets, float[] Mask) Batch(int n, int vocab, int seed)
    {
        var rng = new Random(seed);
        var inputs = Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
        var mask = Enumerable.Range(0, n).Select(i => i % 3 == 1 ? 0f : 1f).ToArray();
        return (inputs, targets, mask);
    }

    private static float[] Parameters(Pretrainer t) => new ReadOnlySpan<float>(t.Model.Params.Ptr, (int)t.Model.Layout.Count).ToArray();

    /// <summary>A dropped block is the identity: the trainer's logits with block 1 of 3 dropped equal the inference engine's on the path 0 2.</summary>
    [Fact]
    public void A_dropped_block_is_the_identity_as_the_engine_skips_it()
    {
        var config = Tiny.Config(hidden: 32, layers: 3, heads: 4, kvHeads: 2, headDim: 8, ffn: 48, vocab: 40);
        const int t = 9;
        using var model = new Transformer(config, 1, t);
        var weights = RandomInit.Weights(config, seed: 21, scale: 0.2f);
        model.ImportTensors(weights);
        var (inputs, _, _) = Batch(t, config.VocabSize, 22);
        model.Forward(inputs);
        var full = model.Logits.ToArray();
        model.Forward(inputs, dropped: [false, true, false]);
        var dropped = model.Logits.ToArray();

        var shapes = CheckpointSchema.Expected(config).ToDictionary(e => e.Name, e => e.Shape);
        var src = new InMemoryTensorSource(model.ExportTensors().ToDictionary(kv => kv.Key, kv => (shapes[kv.Key], kv.Value)));
        using var decoder = new Decoder(ModelWeights.FromCheckpoint(new Checkpoint(config, src, "memory")), threads: 2);
        using var session = decoder.CreateSession();
        var first = session.Prefill(inputs.AsSpan(0, 1), LayerPath.Create([0, 2], 3)).ToArray();
        var engine = first.Concat(session.Extend(inputs.AsSpan(1), allLogits: true).ToArray()).ToArray();
        float scale = dropped.Max(Math.Abs);
        double diff = engine.Zip(dropped, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(diff <= 1e-4 * scale, $"max |Δlogit| vs the engine's path 0 2: {diff:G3}");
        double moved = full.Zip(dropped, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(moved > 1e-2 * scale, "dropping block 1 changed nothing: the block did not run in the first place");
        model.Forward(inputs); // the flags hold for one forward only
        Assert.True(full.AsSpan().SequenceEqual(model.Logits), "a forward without flags after a dropped one differs from the full model");
    }

    /// <summary>With block 1 of 3 dropped: every tensor's gradient matches central differences of the same dropped forward, and the dropped block's are zero.</summary>
    [Fact]
    public void Gradient_with_a_dropped_block_matches_finite_differences()
    {
        var config = Tiny.Config(layers: 3);
        const int n = 12;
        bool[] drop = [false, true, false];
        using var model = new Transformer(config, 2, n / 2);
        model.ImportTensors(RandomInit.Weights(config, seed: 3, scale: 0.3f));
        var (inputs, targets, mask) = Batch(n, config.VocabSize, 4);
        model.Forward(inputs, targets, mask); // leaves block 1's activations in the buffers, as an earlier step would
        model.Forward(inputs, targets, mask, drop);
        model.ZeroGrad();
        model.Backward();

        var rng = new Random(5);
        const float eps = 1e-2f;
        var failures = new List<string>();
        int checkedCount = 0;
        for (int ti = 0; ti < model.Layout.Tensors.Count; ti++)
        {
            var tensor = model.Layout.Tensors[ti];
            var grad = new ReadOnlySpan<float>(model.Grads.Ptr + tensor.Offset, (int)tensor.Count).ToArray();
            if (model.Layout.BlockOf[ti] == 1)
            {
                Assert.True(grad.All(g => g == 0), $"{tensor.Name} of the dropped block has a gradient");
                continue;
            }
            var pick = Enumerable.Range(0, grad.Length).OrderByDescending(i => Math.Abs(grad[i])).Take(4)
                .Concat(Enumerable.Range(0, 2).Select(_ => rng.Next(grad.Length))).Distinct();
            foreach (int i in pick)
            {
                float* p = model.Params.Ptr + tensor.Offset + i;
                float saved = *p;
                *p = saved + eps;
                double plus = model.Forward(inputs, targets, mask, drop);
                *p = saved - eps;
                double minus = model.Forward(inputs, targets, mask, drop);
                *p = saved;
                double fd = (plus - minus) / (2 * eps);
                if (Math.Abs(fd - grad[i]) > 1e-3 + 2e-2 * Math.Max(Math.Abs(fd), Math.Abs(grad[i])))
                    failures.Add($"{tensor.Name}[{i}]: analytic {grad[i]:G5}, finite difference {fd:G5}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 40, $"only {checkedCount} entries checked");
        Assert.True(failures.Count == 0, $"{failures.Count}/{checkedCount} entries differ: {string.Join("; ", failures.Take(8))}");
    }

    [Fact]
    public void Masks_follow_seed_and_step_and_rise_linearly_with_depth()
    {
        const int layers = 16, steps = 20_000;
        Assert.Equal(LayerDrop.Mask(7, 123, layers, 0.2f), LayerDrop.Mask(7, 123, layers, 0.2f));
        Assert.All(Enumerable.Range(0, 100), s => Assert.DoesNotContain(true, LayerDrop.Mask(7, s, layers, 0f)));
        var counts = new int[layers];
        int differ = 0;
        for (int s = 0; s < steps; s++)
        {
            var m = LayerDrop.Mask(7, s, layers, 0.2f);
            for (int l = 0; l < layers; l++) if (m[l]) counts[l]++;
            if (!m.SequenceEqual(LayerDrop.Mask(8, s, layers, 0.2f))) differ++;
        }
        Assert.Equal(0, counts[0]);
        for (int l = 1; l < layers; l++)
        {
            double expected = 0.2 * l / (layers - 1), rate = (double)counts[l] / steps, sd = Math.Sqrt(expected * (1 - expected) / steps);
            Assert.True(Math.Abs(rate - expected) < 4 * sd + 1e-9, $"block {l}: dropped at {rate:P2} of steps, expected {expected:P2}");
        }
        Assert.True(differ > steps / 2, $"seeds 7 and 8 drew the same mask at {steps - differ} of {steps} steps");
    }

    /// <summary>With drop on: resume is bit-exact, a dropped block's parameters and Adam moments stay put in its step, and drop changes the run.</summary>
    [Fact]
    public void Resume_with_layer_drop_is_bit_identical_and_a_dropped_block_stays_put()
    {
        var options = TrainingTests.TinyOptions with { Layers = 3, LayerDrop = 0.6f };
        int dropStep = Enumerable.Range(0, 7).First(s => LayerDrop.Mask(options.Seed, s, 3, 0.6f).Contains(true));
        using var dir = new TempDir();
        var corpus = new ArithmeticCorpus();
        float[] straight;
        using (var t = new Pretrainer(options, corpus))
        {
            for (int i = 0; i < 7; i++)
            {
                if (i != dropStep) { t.TrainStep(); continue; }
                var mask = LayerDrop.Mask(options.Seed, i, 3, 0.6f);
                int block = Array.IndexOf(mask, true);
                var before = Snapshot(t, block);
                Assert.Equal(mask.Count(d => d), t.TrainStep().DroppedBlocks);
                Assert.Equal(before, Snapshot(t, block));
            }
            straight = Parameters(t);
        }
        using (var t = new Pretrainer(options with { LayerDrop = 0 }, corpus))
        {
            for (int i = 0; i < 7; i++) t.TrainStep();
            Assert.False(straight.AsSpan().SequenceEqual(Parameters(t)), "layer drop changed nothing");
        }
        string path = dir.File("state.bin");
        using (var t = new Pretrainer(options, corpus))
        {
            for (int i = 0; i < 4; i++) t.TrainStep();
            t.SaveCheckpoint(path);
        }
        using var resumed = Pretrainer.Resume(path, corpus);
        Assert.Equal(0.6f, resumed.Options.LayerDrop);
        for (int i = 0; i < 3; i++) resumed.TrainStep();
        Assert.True(straight.AsSpan().SequenceEqual(Parameters(resumed)), "resumed parameters differ from the uninterrupted run");
    }

    /// <summary>The block's parameters and both Adam moments, back to back.</summary>
    private static float[] Snapshot(Pretrainer t, int block)
    {
        var layout = t.Model.Layout;
        var all = new List<float>();
        int tensors = 0;
        for (int i = 0; i < layout.Tensors.Count; i++)
        {
            if (layout.BlockOf[i] != block) continue;
            var ts = layout.Tensors[i];
            tensors++;
            foreach (nint buf in new[] { (nint)t.Model.Params.Ptr, (nint)t.Optimizer.M.Ptr, (nint)t.Optimizer.V.Ptr })
                all.AddRange(new ReadOnlySpan<float>((float*)buf + ts.Offset, (int)ts.Count).ToArray());
        }
        Assert.Equal(9, tensors); // two norms, seven projections
        return all.ToArray();
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void Bad_rates_are_refused_naming_the_option(float rate)
    {
        var e = Assert.Throws<ArgumentException>(() => (TrainingTests.TinyOptions with { LayerDrop = rate }).Validate());
        Assert.Contains("LayerDrop", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Options_round_trip_and_an_old_file_without_the_field_reads_as_off()
    {
        var o = TrainingTests.TinyOptions with { LayerDrop = 0.2f };
        Assert.Equal(o, JsonSerializer.Deserialize<PretrainOptions>(JsonSerializer.Serialize(o)));
        var old = JsonSerializer.Deserialize<PretrainOptions>("""{"Hidden":128,"Heads":4,"KvHeads":2,"Ffn":344}""")!;
        Assert.Equal(0f, old.LayerDrop);
        old.Validate();
    }

    [Fact]
    public void Pretrain_refuses_a_bad_layer_drop_in_one_line()
    {
        using var dir = new TempDir();
        string config = dir.File("bad.json");
        File.WriteAllText(config, """{ "hidden": 32, "layers": 2, "heads": 4, "kvHeads": 2, "ffn": 64, "seqLen": 32, "layerDrop": 1.5 }""");
        var (code, _, err) = DrllmProcess.Run("pretrain", "--out", dir.File("run"), "--config", config, "--steps", "2");
        Assert.Equal(1, code);
        Assert.Contains("LayerDrop (1.5) must be in [0, 1)", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
