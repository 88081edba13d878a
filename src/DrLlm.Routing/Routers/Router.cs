using System.Numerics.Tensors;

namespace DrLlm.Routing.Routers;

/// <summary>
/// One block's router (METHOD.md "Routers"): Linear(d → h) → GELU → Linear(h → 3), run on each of the w window means
/// of the hidden states entering the block; the w logit vectors are averaged. Classes: 0 skip, 1 execute, 2 repeat.
/// A view over its slice of <see cref="RouterSet.Parameters"/>, laid out as PyTorch's nn.Linear stores it:
/// fc1.weight [h, d], fc1.bias [h], fc2.weight [3, h], fc2.bias [3].
/// The window means are multiplied by a fixed <see cref="InputScale"/> s before fc1 (fc1(s·x); 1 is the paper's
/// router): not a trained parameter, see <see cref="RouterTrainingOptions.ScaleInputs"/> for why it exists.
/// </summary>
public sealed class Router
{
    public const int Classes = 3;
    private readonly float[] _buffer;
    private readonly float[] _inputScales;
    private readonly int _offset;

    internal Router(float[] buffer, int offset, float[] inputScales, int block, int dim, int hidden)
    {
        _buffer = buffer;
        _inputScales = inputScales;
        _offset = offset;
        Block = block;
        Dim = dim;
        Hidden = hidden;
    }

    public int Block { get; }
    public int Dim { get; }
    public int Hidden { get; }

    /// <summary>The fixed factor on the window means (an entry of <see cref="RouterSet.InputScales"/>).</summary>
    public float InputScale => _inputScales[Block];

    public static int ParameterCount(int dim, int hidden) => hidden * dim + hidden + Classes * hidden + Classes;

    public Span<float> Parameters => _buffer.AsSpan(_offset, ParameterCount(Dim, Hidden));
    public Span<float> Fc1Weight => _buffer.AsSpan(_offset, Hidden * Dim);
    public Span<float> Fc1Bias => _buffer.AsSpan(_offset + Hidden * Dim, Hidden);
    public Span<float> Fc2Weight => _buffer.AsSpan(_offset + Hidden * Dim + Hidden, Classes * Hidden);
    public Span<float> Fc2Bias => _buffer.AsSpan(_offset + Hidden * Dim + Hidden + Classes * Hidden, Classes);

    /// <summary>
    /// x [w, d] window means → logits [3] = mean over windows of fc2(GELU(fc1(s·x_i))). Keeps pre [w, h] (fc1 outputs)
    /// and act [w, h] (GELU outputs) for <see cref="Backward"/>. fc2 is linear, so it runs once on the mean activation.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int w, Span<float> pre, Span<float> act, Span<float> logits)
    {
        int d = Dim, h = Hidden;
        float s = InputScale;
        ReadOnlySpan<float> w1 = Fc1Weight, b1 = Fc1Bias, w2 = Fc2Weight, b2 = Fc2Bias;
        for (int i = 0; i < w; i++)
        {
            var xi = x.Slice(i * d, d);
            for (int j = 0; j < h; j++) pre[i * h + j] = b1[j] + s * TensorPrimitives.Dot(w1.Slice(j * d, d), xi);
            Gelu.Forward(pre.Slice(i * h, h), act.Slice(i * h, h));
        }
        Span<float> mean = stackalloc float[h];
        MeanRows(act, w, h, mean);
        for (int c = 0; c < Classes; c++) logits[c] = b2[c] + TensorPrimitives.Dot(w2.Slice(c * h, h), mean);
    }

    /// <summary>
    /// Given dLoss/dlogits [3], accumulates dParams (this router's layout, <see cref="ParameterCount"/> floats) and,
    /// when <paramref name="dx"/> is not empty, dLoss/dx [w, d].
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, int w, ReadOnlySpan<float> pre, ReadOnlySpan<float> act,
        ReadOnlySpan<float> dLogits, Span<float> dParams, Span<float> dx)
    {
        int d = Dim, h = Hidden;
        float s = InputScale;
        ReadOnlySpan<float> w1 = Fc1Weight, w2 = Fc2Weight;
        var dw1 = dParams.Slice(0, h * d);
        var db1 = dParams.Slice(h * d, h);
        var dw2 = dParams.Slice(h * d + h, Classes * h);
        var db2 = dParams.Slice(h * d + h + Classes * h, Classes);

        Span<float> mean = stackalloc float[h];
        MeanRows(act, w, h, mean);
        Span<float> dAct = stackalloc float[h]; // the same for every window: d(mean act)/d(act_i) = 1/w
        dAct.Clear();
        for (int c = 0; c < Classes; c++)
        {
            db2[c] += dLogits[c];
            TensorPrimitives.MultiplyAdd(mean, dLogits[c], dw2.Slice(c * h, h), dw2.Slice(c * h, h));
            TensorPrimitives.MultiplyAdd(w2.Slice(c * h, h), dLogits[c] / w, dAct, dAct);
        }
        Span<float> dPre = stackalloc float[h];
        for (int i = 0; i < w; i++)
        {
            dPre.Clear();
            Gelu.Backward(pre.Slice(i * h, h), dAct, dPre);
            TensorPrimitives.Add(db1, dPre, db1);
            var xi = x.Slice(i * d, d);
            for (int j = 0; j < h; j++)
            {
                if (dPre[j] == 0f) continue;
                float g = s * dPre[j]; // pre = b1 + s·(w1·x): d/dw1 = s·x, d/dx = s·w1
                TensorPrimitives.MultiplyAdd(xi, g, dw1.Slice(j * d, d), dw1.Slice(j * d, d));
                if (!dx.IsEmpty) TensorPrimitives.MultiplyAdd(w1.Slice(j * d, d), g, dx.Slice(i * d, d), dx.Slice(i * d, d));
            }
        }
    }

    /// <summary>Xavier-uniform weights (bound √(6 / (fan_in + fan_out))) and zero biases, as the paper initialises.</summary>
    internal void Initialise(Search.SplitMix rng)
    {
        Fill(Fc1Weight, MathF.Sqrt(6f / (Dim + Hidden)), rng);
        Fc1Bias.Clear();
        Fill(Fc2Weight, MathF.Sqrt(6f / (Hidden + Classes)), rng);
        Fc2Bias.Clear();
    }

    private static void Fill(Span<float> w, float bound, Search.SplitMix rng)
    {
        for (int i = 0; i < w.Length; i++) w[i] = (float)((2 * rng.NextDouble() - 1) * bound);
    }

    private static void MeanRows(ReadOnlySpan<float> rows, int w, int h, Span<float> mean)
    {
        mean.Clear();
        for (int i = 0; i < w; i++) TensorPrimitives.Add(mean, rows.Slice(i * h, h), mean);
        TensorPrimitives.Multiply(mean, 1f / w, mean);
    }
}
