using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests.Engine;

/// <summary>
/// A deliberately plain decoder in double precision, written straight from the Hugging Face modeling code
/// (LlamaForCausalLM / Qwen2 / Qwen3): no cache, no BLAS, no spans. The engine must agree with it.
/// </summary>
public static class NaiveDecoder
{
    /// <summary>Logits for every position, [tokens.Length][vocab].</summary>
    public static double[][] Logits(ModelConfig c, IReadOnlyDictionary<string, float[]> w, int[] tokens, IReadOnlyList<int> path)
    {
        int T = tokens.Length, d = c.HiddenSize, hd = c.HeadDim;
        var x = new double[T][];
        for (int t = 0; t < T; t++) x[t] = w["model.embed_tokens.weight"].Skip(tokens[t] * d).Take(d).Select(v => (double)v).ToArray();
        var inv = RopeFrequencies.Compute(c);
        foreach (var l in path)
        {
            string p = $"model.layers.{l}.";
            var h = x.Select(r => Norm(r, w[p + "input_layernorm.weight"], c.RmsNormEps)).ToArray();
            var q = h.Select(r => Lin(r, w[p + "self_attn.q_proj.weight"], c.QDim, w.GetValueOrDefault(p + "self_attn.q_proj.bias"))).ToArray();
            var k = h.Select(r => Lin(r, w[p + "self_attn.k_proj.weight"], c.KvDim, w.GetValueOrDefault(p + "self_attn.k_proj.bias"))).ToArray();
            var v = h.Select(r => Lin(r, w[p + "self_attn.v_proj.weight"], c.KvDim, w.GetValueOrDefault(p + "self_attn.v_proj.bias"))).ToArray();
            for (int t = 0; t < T; t++)
            {
                if (c.QkNorm)
                {
                    q[t] = HeadNorm(q[t], w[p + "self_attn.q_norm.weight"], hd, c.RmsNormEps);
                    k[t] = HeadNorm(k[t], w[p + "self_attn.k_norm.weight"], hd, c.RmsNormEps);
                }
                Rope(q[t], hd, t, inv);
                Rope(k[t], hd, t, inv);
            }
            var att = new double[T][];
            int group = c.NumHeads / c.NumKvHeads;
            for (int t = 0; t < T; t++)
            {
                att[t] = new double[c.QDim];
                for (int head = 0; head < c.NumHeads; head++)
                {
                    int g = head / group;
                    var s = new double[t + 1];
                    for (int u = 0; u <= t; u++)
                    {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[u][g * hd + i];
                        s[u] = dot / Math.Sqrt(hd);
                    }
                    double max = s.Max(), sum = s.Sum(z => Math.Exp(z - max));
                    for (int u = 0; u <= t; u++)
                        for (int i = 0; i < hd; i++)
                            att[t][head * hd + i] += Math.Exp(s[u] - max) / sum * v[u][g * hd + i];
                }
            }
            for (int t = 0; t < T; t++)
            {
                var o = Lin(att[t], w[p + "self_attn.o_proj.weight"], d, null);
                for (int i = 0; i < d; i++) x[t][i] += o[i];
                var hn = Norm(x[t], w[p + "post_attention_layernorm.weight"], c.RmsNormEps);
                var gate = Lin(hn, w[p + "mlp.gate_proj.weight"], c.IntermediateSize, null);
                var up = Lin(hn, w[p + "mlp.up_proj.weight"], c.IntermediateSize, null);
                var a = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                var down = Lin(a, w[p + "mlp.down_proj.weight"], d, null);
                for (int i = 0; i < d; i++) x[t][i] += down[i];
            }
        }
        var lmHead = w.GetValueOrDefault("lm_head.weight") ?? w["model.embed_tokens.weight"];
        return x.Select(r => Lin(Norm(r, w["model.norm.weight"], c.RmsNormEps), lmHead, c.VocabSize, null)).ToArray();
    }

    private static double[] Norm(double[] x, float[] w, float eps)
    {
        double ms = x.Sum(v => v * v) / x.Length, s = 1 / Math.Sqrt(ms + eps);
        return x.Select((v, i) => v * s * w[i]).ToArray();
    }

    private static double[] HeadNorm(double[] x, float[] w, int hd, float eps)
    {
        var r = new double[x.Length];
        for (int h = 0; h < x.Length / hd; h++)
            Norm(x[(h * hd)..((h + 1) * hd)], w, eps).CopyTo(r, h * hd);
        return r;
    }

    private static double[] Lin(double[] x, float[] w, int outDim, float[]? bias)
    {
        int inDim = x.Length;
        var y = new double[outDim];
        for (int o = 0; o < outDim; o++)
        {
            double s = bias?[o] ?? 0;
            for (int i = 0; i < inDim; i++) s += w[o * inDim + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    private static void Rope(double[] x, int hd, int pos, float[] inv)
    {
        int half = hd / 2;
        for (int h = 0; h < x.Length / hd; h++)
            for (int i = 0; i < half; i++)
            {
                double a = pos * (double)inv[i], c = Math.Cos(a), s = Math.Sin(a);
                double x0 = x[h * hd + i], x1 = x[h * hd + i + half];
                x[h * hd + i] = x0 * c - x1 * s;
                x[h * hd + i + half] = x0 * s + x1 * c;
            }
    }
}
