using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Pretrain.Model;

namespace DrLlm.Pretrain.Tests;

public unsafe class TransformerTests
{
    private static (int[] Inputs, int[] Targets, float[] Mask) Batch(int b, int t, int vocab, int seed)
    {
        var rng = new Random(seed);
        var tokens = Enumerable.Range(0, b * (t + 1)).Select(_ => rng.Next(vocab)).ToArray();
        int[] inputs = new int[b * t], targets = new int[b * t];
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
            {
                inputs[i * t + j] = tokens[i * (t + 1) + j];
                targets[i * t + j] = tokens[i * (t + 1) + j + 1];
                mask[i * t + j] = j % 3 == 1 ? 0f : 1f; // some targets do not count (prompt tokens)
            }
        return (inputs, targets, mask);
    }

    /// <summary>
    /// The whole model's gradient against central differences, for every tensor: the entries with the largest analytic
    /// gradient (where a wrong backward shows) and a few random ones. Weights are N(0, 0.3²) so the loss is far from flat.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Model_gradient_matches_finite_differences(bool tied)
    {
        var config = Tiny.Config(tied: tied);
        const int b = 2, t = 6;
        using var model = new Transformer(config, b, t);
        model.ImportTensors(RandomInit.Weights(config, seed: 3, scale: 0.3f));
        var (inputs, targets, mask) = Batch(b, t, config.VocabSize, 4);
        model.Forward(inputs, targets, mask);
        model.ZeroGrad();
        model.Backward();

        var rng = new Random(5);
        const float eps = 1e-2f;
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (var tensor in model.Layout.Tensors)
        {
            var grad = new ReadOnlySpan<float>(model.Grads.Ptr + tensor.Offset, (int)tensor.Count).ToArray();
            var pick = Enumerable.Range(0, grad.Length).OrderByDescending(i => Math.Abs(grad[i])).Take(4)
                .Concat(Enumerable.Range(0, 2).Select(_ => rng.Next(grad.Length))).Distinct();
            foreach (int i in pick)
            {
                float* p = model.Params.Ptr + tensor.Offset + i;
                float saved = *p;
                *p = saved + eps;
                double plus = model.Forward(inputs, targets, mask);
                *p = saved - eps;
                double minus = model.Forward(inputs, targets, mask);
                *p = saved;
                double fd = (plus - minus) / (2 * eps);
                if (Math.Abs(fd - grad[i]) > 1e-3 + 2e-2 * Math.Max(Math.Abs(fd), Math.Abs(grad[i])))
                    failures.Add($"{tensor.Name}[{i}]: analytic {grad[i]:G5}, finite difference {fd:G5}");
                checkedCount++;
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count}/{checkedCount} entries differ: {string.Join("; ", failures.Take(8))}");
    }

    /// <summary>
    /// The trainer's logits equal the inference engine's over the exported weights at every position: the export layout,
    /// rope and norms are the same model. Two sequences in the batch also pin that each starts at position 0.
    /// </summary>
    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    public void Logits_match_the_inference_engine(bool tied, int kvHeads)
    {
        var config = Tiny.Config(hidden: 32, layers: 3, heads: 4, kvHeads: kvHeads, headDim: 8, ffn: 48, vocab: 40, tied: tied);
        const int b = 2, t = 9;
        using var model = new Transformer(config, b, t);
        model.InitializeWeights(seed: 11);
        // Larger weights than the training init, so the logits carry real structure to compare.
        var weights = RandomInit.Weights(config, seed: 12, scale: 0.2f);
        model.ImportTensors(weights);
        var (inputs, _, _) = Batch(b, t, config.VocabSize, 13);
        model.Forward(inputs);
        var trainerLogits = model.Logits.ToArray();

        var shapes = CheckpointSchema.Expected(config).ToDictionary(e => e.Name, e => e.Shape);
        var exported = model.ExportTensors();
        var src = new InMemoryTensorSource(exported.ToDictionary(kv => kv.Key, kv => (shapes[kv.Key], kv.Value)));
        using var decoder = new Decoder(ModelWeights.FromCheckpoint(new Checkpoint(config, src, "memory")), threads: 2);
        float scale = trainerLogits.Max(Math.Abs);
        for (int s = 0; s < b; s++)
        {
            using var session = decoder.CreateSession();
            var seq = inputs.AsSpan(s * t, t);
            var first = session.Prefill(seq[..1], LayerPath.Default(config.NumLayers)).ToArray();
            var rest = session.Extend(seq[1..], allLogits: true).ToArray();
            var engine = first.Concat(rest).ToArray();
            var mine = trainerLogits.AsSpan(s * t * config.VocabSize, t * config.VocabSize).ToArray();
            double maxDiff = engine.Zip(mine, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(maxDiff <= 1e-4 * scale, $"sequence {s}: max |Δlogit| {maxDiff:G3} > 1e-4 × {scale:G3}");
        }
    }
}
