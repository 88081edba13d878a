using DrLlm.Engine.Formats;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// A linear layer's weight [rows = out, cols = in], row-major, in its stored type (f32, f16, bf16 or a ggml block
/// format, one row being whole blocks): the kernels compute on these bytes, no f32 copy of the matrix exists.
/// </summary>
public readonly unsafe struct WeightMatrix(TensorDType type, byte* data, int rows, int cols)
{
    public TensorDType Type { get; } = type;
    public byte* Data { get; } = data;
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;
    public long RowBytes { get; } = Numerics.ByteSize(type, cols);
    public long Bytes => RowBytes * Rows;
    public byte* Row(long r) => Data + r * RowBytes;

    /// <summary>Row <paramref name="r"/> as f32 into <paramref name="dst"/> (Cols values): an embedding lookup.</summary>
    public void DequantizeRow(long r, float* dst) => Dequant.Row(Type, Row(r), dst, Cols);
}

/// <summary>One product of a <see cref="Matmul.Linear"/> call: Y[m, W.Rows] (row stride <see cref="Ldy"/>) from W.</summary>
public unsafe struct LinearOutput(WeightMatrix w, float* y, int ldy)
{
    public WeightMatrix W = w;
    public float* Y = y;
    public int Ldy = ldy;
}
