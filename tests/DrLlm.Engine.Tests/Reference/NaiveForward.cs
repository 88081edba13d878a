using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// A textbook float64 forward pass over Hugging Face tensors, written from transformers' modeling_llama /
/// modeling_qwen2 / modeling_qwen3 and nothing else in this repository: the oracle that shows the llama.cpp
/// harness (writer + shim) computes the model we meant. Slow (no caching beyond the KV lists); tiny models only.
/// </summary>
public static class NaiveForward
{
    /// <summary>
    /// Logits after each token: tokens.Length * VocabSize values, row-major. <paramref name="path"/> lists the blocks
    /// to run in order (METHOD.md layer paths); null runs every block once.
    /// </summary>
    public static double[] LogitsAll(ModelConfig c, IReadOnlyDictionary<string, float[]> w, IReadOnlyList<int> tokens,
        IReadOnlyList<int>? path = null)
    {
        int n = tokens.Count, d = c.HiddenSize, hd = c.HeadDim, group = c.NumHeads / c.NumKvHeads;
        var invFreq = InverseFrequencies(c);
        var keys = new List<double[]>();
        var values = new List<double[]>();
        var logits = new double[n * c.VocabSize];
        var xs = tokens.Select(t => w["model.embed_tokens.weight"].AsSpan(t * d, d).ToArray().Select(v => (double)v).ToArray()).ToArray();

        foreach (var l in path ?? Enumerable.Range(0, c.NumLayers).ToArray())
        {
            string P(string s) => $"model.layers.{l}.{s}";
            keys.Clear();
            values.Clear();
            for (var pos = 0; pos < n; pos++)
            {
                var h = RmsNorm(xs[pos], w[P("input_layernorm.weight")], c.RmsNormEps);
                var q = Linear(w[P("self_attn.q_proj.weight")], h, c.AttentionBias ? w[P("self_attn.q_proj.bias")] : null);
                var k = Linear(w[P("self_attn.k_proj.weight")], h, c.AttentionBias ? w[P("self_attn.k_proj.bias")] : null);
                var v = Linear(w[P("self_attn.v_proj.weight")], h, c.AttentionBias ? w[P("self_attn.v_proj.bias")] : null);
                for (var head = 0; head < c.NumHeads; head++)
                {
                    var qh = q.AsSpan(head * hd, hd);
                    if (c.QkNorm) RmsNorm(qh.ToArray(), w[P("self_attn.q_norm.weight")], c.RmsNormEps).CopyTo(qh);
                    RotateHalf(qh, pos, invFreq);
                }
                for (var head = 0; head < c.NumKvHeads; head++)
                {
                    var kh = k.AsSpan(head * hd, hd);
                    if (c.QkNorm) RmsNorm(kh.ToArray(), w[P("self_attn.k_norm.weight")], c.RmsNormEps).CopyTo(kh);
                    RotateHalf(kh, pos, invFreq);
                }
                keys.Add(k);
                values.Add(v);

                // Causal attention over positions 0..pos; query head h reads KV head h / group.
                var attn = new double[c.QDim];
                for (var head = 0; head < c.NumHeads; head++)
                {
                    int kvh = head / group;
                    var scores = new double[pos + 1];
                    for (var j = 0; j <= pos; j++)
                    {
                        double s = 0;
                        for (var e = 0; e < hd; e++) s += q[head * hd + e] * keys[j][kvh * hd + e];
                        scores[j] = s / Math.Sqrt(hd);
                    }
                    var max = scores.Max();
                    var z = scores.Sum(s => Math.Exp(s - max));
                    for (var j = 0; j <= pos; j++)
                        for (var e = 0; e < hd; e++)
                            attn[head * hd + e] += Math.Exp(scores[j] - max) / z * values[j][kvh * hd + e];
                }
                var o = Linear(w[P("self_attn.o_proj.weight")], attn, null);
                for (var i = 0; i < d; i++) xs[pos][i] += o[i];
            }
            for (var pos = 0; pos < n; pos++)
            {
                var h = RmsNorm(xs[pos], w[P("post_attention_layernorm.weight")], c.RmsNormEps);
                var gate = Linear(w[P("mlp.gate_proj.weight")], h, null);
                var up = Linear(w[P("mlp.up_proj.weight")], h, null);
                for (var i = 0; i < gate.Length; i++) gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i]; // SiLU(gate) * up
                var down = Linear(w[P("mlp.down_proj.weight")], gate, null);
                for (var i = 0; i < d; i++) xs[pos][i] += down[i];
            }
        }

        var lmHead = c.TieWordEmbeddings ? w["model.embed_tokens.weight"] : w["lm_head.weight"];
        for (var pos = 0; pos < n; pos++)
            Linear(lmHead, RmsNorm(xs[pos], w["model.norm.weight"], c.RmsNormEps), null).CopyTo(logits, pos * c.VocabSize);
        return logits;
    }

    /// <summary>y = W x (+ b), W [out, in] row-major.</summary>
    static double[] Linear(float[] weight, double[] x, float[]? bias)
    {
        var y = new double[weight.Length / x.Length];
        for (var r = 0; r < y.Length; r++)
        {
            double s = bias?[r] ?? 0;
            for (var i = 0; i < x.Length; i++) s += weight[r * x.Length + i] * x[i];
            y[r] = s;
        }
        return y;
    }

    static double[] RmsNorm(double[] x, float[] weight, float eps)
    {
        var inv = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + eps);
        return x.Select((v, i) => v * inv * weight[i]).ToArray();
    }

    /// <summary>transformers' apply_rotary_pos_emb: dimension i pairs with i + lmHeaddim/2.</summary>
    static void RotateHalf(Span<double> x, int pos, double[] invFreq)
    {
        var half = x.Length / 2;
        for (var i = 0; i < half; i++)
        {
            double cos = Math.Cos(pos * invFreq[i]), sin = Math.Sin(pos * invFreq[i]);
            double a = x[i], b = x[i + half];
            x[i] = a * cos - b * sin;
            x[i + half] = b * cos + a * sin;
        }
    }

    /// <summary>theta^(-2i/lmHeaddim), with transformers' _compute_llama3_parameters applied when the config scales rope.</summary>
    static double[] InverseFrequencies(ModelConfig c)
    {
        var f = Enumerable.Range(0, c.HeadDim / 2).Select(i => Math.Pow(c.RopeTheta, -2.0 * i / c.HeadDim)).ToArray();
        if (c.RopeScaling is not { } s) return f;
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (var i = 0; i < f.Length; i++)
        {
            var wavelen = 2 * Math.PI / f[i];
            if (wavelen > lowWavelen) f[i] /= s.Factor;
            else if (wavelen >= highWavelen)
            {
                var smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                f[i] = (1 - smooth) * f[i] / s.Factor + smooth * f[i];
            }
        }
        return f;
    }
}
