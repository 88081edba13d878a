using DrLlm.Engine.Formats;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Tests.Engine;

/// <summary>
/// The kernels on weights as stored: the AVX2 dequantisers give the scalar reference's bits (ggml's dequantize_row_*,
/// transcribed in <see cref="Numerics.DequantizeRow"/>), and GEMV/GEMM on every type equal a double-precision product
/// of the reference-dequantised weights, with bits that do not depend on the thread count.
/// </summary>
[Collection(KernelFlagsCollection.Name)]
public unsafe class StoredTypeKernelTests
{
    public static TheoryData<TensorDType> BlockTypes => new(TensorDType.Q8_0, TensorDType.Q5_0, TensorDType.Q4_K, TensorDType.Q6_K);

    public static TheoryData<TensorDType, int> Products()
    {
        var d = new TheoryData<TensorDType, int>();
        foreach (var t in Enum.GetValues<TensorDType>())
            foreach (int m in new[] { 1, 37 }) d.Add(t, m);
        return d;
    }

    /// <summary>Random rows of <paramref name="type"/>: random values for floats, random bytes with finite scales for blocks.</summary>
    internal static byte[] RandomRows(TensorDType type, int rows, int cols, int seed)
    {
        var r = new Random(seed);
        long n = (long)rows * cols;
        var bytes = new byte[Numerics.ByteSize(type, n)];
        switch (type)
        {
            case TensorDType.F32:
            case TensorDType.F16:
            case TensorDType.BF16:
                var f = Enumerable.Range(0, (int)n).Select(_ => r.NextSingle() - 0.5f).ToArray();
                if (type == TensorDType.F32) Buffer.BlockCopy(f, 0, bytes, 0, bytes.Length);
                else if (type == TensorDType.F16)
                {
                    var h = new Half[n];
                    Numerics.F32ToF16(f, h);
                    fixed (Half* p = h) new ReadOnlySpan<byte>(p, bytes.Length).CopyTo(bytes);
                }
                else
                    for (int i = 0; i < n; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), Numerics.F32ToBF16(f[i]));
                return bytes;
        }
        r.NextBytes(bytes);
        int blockBytes = Numerics.BlockBytes(type);
        (int Offset, int Count) scales = type switch
        {
            TensorDType.Q4_K => (0, 2),   // d, dmin
            TensorDType.Q6_K => (208, 1), // d last
            _ => (0, 1),
        };
        for (int b = 0; b < bytes.Length / blockBytes; b++)
            for (int s = 0; s < scales.Count; s++)
                BitConverter.TryWriteBytes(bytes.AsSpan(b * blockBytes + scales.Offset + 2 * s), (Half)(0.001f + 0.01f * r.NextSingle()));
        return bytes;
    }

    private static float[] Reference(TensorDType type, byte[] rows, int n)
    {
        var f = new float[n];
        fixed (byte* p = rows) fixed (float* d = f) Numerics.DequantizeRow(type, p, d, n);
        return f;
    }

    [Theory, MemberData(nameof(BlockTypes))]
    public void Simd_dequantisers_give_the_reference_bits(TensorDType type)
    {
        int n = 4 * Numerics.KBlockSize;
        var rows = RandomRows(type, 1, n, seed: 1);
        var expected = Reference(type, rows, n);
        Assert.Contains(expected, v => v != 0f);
        var actual = new float[n];
        fixed (byte* p = rows) fixed (float* d = actual) Dequant.Row(type, p, d, n);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Reference_dequantisers_follow_ggml_on_hand_made_blocks()
    {
        // Q5_0: d = 0.5, qh bit 0 set (value 0 gets +16), qs[0] = 0x2F: value 0 = (0xF | 16) - 16 = 15, value 16 = 2 - 16.
        var q5 = new byte[22];
        BitConverter.TryWriteBytes(q5, (Half)0.5f);
        q5[2] = 1;
        q5[6] = 0x2F;
        var v = Reference(TensorDType.Q5_0, q5, 32);
        Assert.Equal(7.5f, v[0]);
        Assert.Equal(-7f, v[16]);
        Assert.Equal(-8f, v[1]); // (0 | 0) - 16

        // Q4_K: d = 1, dmin = 0.5, scale 0 = 3, min 0 = 2 (6-bit fields of scales[0], scales[4]); qs[0] = 0x75.
        var q4 = new byte[144];
        BitConverter.TryWriteBytes(q4, (Half)1f);
        BitConverter.TryWriteBytes(q4.AsSpan(2), (Half)0.5f);
        q4[4] = 3; q4[4 + 4] = 2; q4[4 + 1] = 1; q4[4 + 5] = 0;
        q4[16] = 0x75;
        v = Reference(TensorDType.Q4_K, q4, 256);
        Assert.Equal(3f * 5 - 0.5f * 2, v[0]);  // low nibble, sub-block 0
        Assert.Equal(1f * 7 - 0f, v[32]);       // high nibble, sub-block 1

        // Q6_K: d = 0.25, scales[0] = 2; ql[0] = 0x0A, qh[0] = 0b01 → value 0 = (10 | 1 << 4) - 32 = -6.
        var q6 = new byte[210];
        q6[0] = 0x0A; q6[128] = 1; q6[192] = 2;
        BitConverter.TryWriteBytes(q6.AsSpan(208), (Half)0.25f);
        v = Reference(TensorDType.Q6_K, q6, 256);
        Assert.Equal(0.25f * 2 * -6, v[0]);
    }

    [Theory, MemberData(nameof(Products))]
    public void Products_on_stored_rows_match_a_double_loop_and_do_not_depend_on_the_threads(TensorDType type, int m)
    {
        // Rows longer than the GEMV's 1024-value chunk; float rows not a multiple of a vector either.
        int n = 80, k = Numerics.BlockSize(type) switch { 1 => 1100, 32 => 1312, _ => 1280 };
        var rows = RandomRows(type, n, k, seed: 2);
        var r = new Random(3);
        var x = Enumerable.Range(0, m * k).Select(_ => r.NextSingle() - 0.5f).ToArray();
        var y0 = Enumerable.Range(0, m * n).Select(_ => r.NextSingle()).ToArray();
        float[] Run(int threads, bool avx2 = false, bool portable = false)
        {
            var y = (float[])y0.Clone();
            using var pool = new WorkerPool(threads);
            Gemv.ForceVector256 = avx2;
            Dequant.ForcePortable = portable;
            try
            {
                fixed (byte* w = rows) fixed (float* px = x, py = y)
                    Matmul.Linear(pool, px, m, new WeightMatrix(type, w, n, k), py, beta: 0.5f);
            }
            finally { Gemv.ForceVector256 = false; Dequant.ForcePortable = false; }
            return y;
        }
        var one = Run(1);
        foreach (int threads in new[] { 2, 3 }) Assert.Equal(one, Run(threads));
        var wf = Reference(type, rows, n * k);
        var avx2 = Run(2, avx2: true);
        var portable = Run(2, avx2: true, portable: true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0.5 * y0[i * n + j], mag = 0;
                for (int p = 0; p < k; p++) { s += (double)wf[j * k + p] * x[i * k + p]; mag += Math.Abs((double)wf[j * k + p] * x[i * k + p]); }
                Assert.True(Math.Abs(one[i * n + j] - s) <= 1e-6 * mag + 1e-6, $"{type} m={m} y[{i},{j}] = {one[i * n + j]}, expected {s}");
                Assert.True(Math.Abs(avx2[i * n + j] - s) <= 1e-6 * mag + 1e-6, $"{type} AVX2 y[{i},{j}] = {avx2[i * n + j]}, expected {s}");
                Assert.True(Math.Abs(portable[i * n + j] - s) <= 1e-6 * mag + 1e-6, $"{type} portable y[{i},{j}] = {portable[i * n + j]}, expected {s}");
            }
    }
}

/// <summary>
/// Tests that switch the kernels' process-wide test flags (<c>Gemv.ForceVector256</c>, <c>Dequant.ForcePortable</c>)
/// run alone: a bit-identity test running beside them could otherwise see two code paths.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelFlagsCollection
{
    public const string Name = "kernel flags";
}
