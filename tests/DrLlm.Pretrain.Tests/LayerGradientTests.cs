using DrLlm.Engine.Kernels;
using DrLlm.Pretrain.Model;
using static DrLlm.Pretrain.Tests.GradientCheck;

namespace DrLlm.Pretrain.Tests;

/// <summary>
/// Each layer's backward against central differences of L = Σ forward(x) ⊙ R for a fixed random R (so ∂L/∂out = R).
/// </summary>
public unsafe class LayerGradientTests
{
    private static readonly WorkerPool Pool = new(2);

    [Fact]
    public void Linear_backward_matches_finite_differences()
    {
        const int n = 3, inDim = 5, outDim = 4;
        float[] x = Random(n * inDim, 1), w = Random(outDim * inDim, 2), r = Random(n * outDim, 3);
        double Loss()
        {
            var y = new float[n * outDim];
            fixed (float* py = y, px = x, pw = w) Layers.LinearForward(Pool, py, px, pw, n, inDim, outDim);
            return Dot(y, r);
        }
        float[] dx = new float[x.Length], dw = new float[w.Length];
        fixed (float* pdx = dx, pdw = dw, pr = r, px = x, pw = w) Layers.LinearBackward(Pool, pdx, pdw, pr, px, pw, n, inDim, outDim);
        Compare("linear dx", x, dx, Loss);
        Compare("linear dw", w, dw, Loss);
    }

    [Fact]
    public void RmsNorm_backward_matches_finite_differences()
    {
        const int n = 3, d = 8;
        float[] x = Random(n * d, 4, 2f), w = Random(d, 5), r = Random(n * d, 6), rstd = new float[n];
        double Loss()
        {
            var y = new float[n * d];
            var s = new float[n];
            fixed (float* py = y, ps = s, px = x, pw = w) Layers.RmsNormForward(py, ps, px, pw, n, d, 1e-5f);
            return Dot(y, r);
        }
        var y0 = new float[n * d];
        fixed (float* py = y0, ps = rstd, px = x, pw = w) Layers.RmsNormForward(py, ps, px, pw, n, d, 1e-5f);
        float[] dx = new float[x.Length], dw = new float[w.Length];
        fixed (float* pdx = dx, pdw = dw, pr = r, px = x, pw = w, ps = rstd) Layers.RmsNormBackward(pdx, pdw, pr, px, pw, ps, n, d);
        Compare("rmsnorm dx", x, dx, Loss);
        Compare("rmsnorm dw", w, dw, Loss);
    }

    [Fact]
    public void Rope_backward_matches_finite_differences()
    {
        const int b = 2, t = 5, heads = 3, hd = 8;
        var table = new RopeTable(DrLlm.Engine.Model.RopeFrequencies.Compute(Tiny.Config(headDim: hd, heads: heads, kvHeads: heads) with { RopeTheta = 100f }));
        float[] x = Random(b * t * heads * hd, 7), r = Random(x.Length, 8);
        double Loss()
        {
            var y = (float[])x.Clone();
            fixed (float* py = y) Layers.RopeForward(py, b, t, heads, hd, table);
            return Dot(y, r);
        }
        var dx = (float[])r.Clone();
        fixed (float* pdx = dx) Layers.RopeBackward(pdx, b, t, heads, hd, table);
        Compare("rope dx", x, dx, Loss);
    }

    [Fact]
    public void SwiGlu_backward_matches_finite_differences()
    {
        const int n = 24;
        float[] gate = Random(n, 9, 3f), up = Random(n, 10, 2f), r = Random(n, 11);
        double Loss()
        {
            var h = new float[n];
            fixed (float* ph = h, pg = gate, pu = up) Layers.SwiGluForward(ph, pg, pu, n);
            return Dot(h, r);
        }
        float[] dg = new float[n], du = new float[n];
        fixed (float* pdg = dg, pdu = du, pr = r, pg = gate, pu = up) Layers.SwiGluBackward(pdg, pdu, pr, pg, pu, n);
        Compare("swiglu dgate", gate, dg, Loss);
        Compare("swiglu dup", up, du, Loss);
    }

    [Theory]
    [InlineData(4, 4)] // multi-head
    [InlineData(4, 2)] // grouped-query: two query heads per KV head
    [InlineData(4, 1)] // multi-query
    public void Attention_backward_matches_finite_differences(int heads, int kvHeads)
    {
        const int b = 2, t = 5, hd = 4;
        float[] q = Random(b * t * heads * hd, 12, 1.5f), k = Random(b * t * kvHeads * hd, 13, 1.5f);
        float[] v = Random(b * t * kvHeads * hd, 14), r = Random(b * t * heads * hd, 15);
        var probs = new float[b * heads * t * t];
        double Loss()
        {
            var o = new float[r.Length];
            var p = new float[probs.Length];
            fixed (float* po = o, pp = p, pq = q, pk = k, pv = v) Layers.AttentionForward(Pool, po, pp, pq, pk, pv, b, t, heads, kvHeads, hd);
            return Dot(o, r);
        }
        var o0 = new float[r.Length];
        fixed (float* po = o0, pp = probs, pq = q, pk = k, pv = v) Layers.AttentionForward(Pool, po, pp, pq, pk, pv, b, t, heads, kvHeads, hd);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length], scratch = new float[b * kvHeads * t * t];
        fixed (float* pdq = dq, pdk = dk, pdv = dv, ps = scratch, pr = r, pp = probs, pq = q, pk = k, pv = v)
            Layers.AttentionBackward(Pool, pdq, pdk, pdv, ps, pr, pp, pq, pk, pv, b, t, heads, kvHeads, hd);
        Compare("attention dq", q, dq, Loss);
        Compare("attention dk", k, dk, Loss);
        Compare("attention dv", v, dv, Loss);
    }

    [Fact]
    public void Attention_is_causal()
    {
        const int b = 1, t = 4, h = 2, hd = 4;
        float[] q = Random(t * h * hd, 16), k = Random(t * h * hd, 17), v = Random(t * h * hd, 18);
        float[] o1 = new float[q.Length], o2 = new float[q.Length], p = new float[h * t * t];
        fixed (float* po = o1, pp = p, pq = q, pk = k, pv = v) Layers.AttentionForward(Pool, po, pp, pq, pk, pv, b, t, h, h, hd);
        for (int i = (t - 1) * h * hd; i < q.Length; i++) { k[i] += 5f; v[i] -= 3f; } // change only the last position's K/V
        fixed (float* po = o2, pp = p, pq = q, pk = k, pv = v) Layers.AttentionForward(Pool, po, pp, pq, pk, pv, b, t, h, h, hd);
        Assert.Equal(o1.AsSpan(0, (t - 1) * h * hd).ToArray(), o2.AsSpan(0, (t - 1) * h * hd).ToArray());
        Assert.NotEqual(o1[^1], o2[^1]);
    }

    [Fact]
    public void CrossEntropy_backward_matches_finite_differences_and_ignores_masked_rows()
    {
        const int n = 4, v = 7;
        float[] logits = Random(n * v, 19, 3f);
        int[] targets = [2, 0, 6, 3];
        float[] mask = [1, 0, 1, 1];
        double Loss()
        {
            var p = new float[n * v];
            fixed (float* pp = p, pl = logits) return Layers.CrossEntropyForward(pp, pl, targets, mask, v) / 3.0;
        }
        var probs = new float[n * v];
        fixed (float* pp = probs, pl = logits) Layers.CrossEntropyForward(pp, pl, targets, mask, v);
        var dl = new float[n * v];
        fixed (float* pd = dl, pp = probs) Layers.CrossEntropyBackward(pd, pp, targets, mask, v, 1f / 3);
        Compare("cross-entropy dlogits", logits, dl, Loss);
        Assert.All(dl.AsSpan(v, v).ToArray(), g => Assert.Equal(0f, g));
    }
}
