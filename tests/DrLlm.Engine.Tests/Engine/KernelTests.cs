using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Tests.Engine;

[Collection(KernelFlagsCollection.Name)]
public unsafe class KernelTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextSingle() * 2 - 1).ToArray();
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 5, false)]
    [InlineData(17, 63, false)]
    [InlineData(130, 576, false)]
    [InlineData(577, 200, false)]
    [InlineData(17, 63, true)]
    [InlineData(577, 200, true)]
    public void Gemv_matches_a_plain_loop_over_the_pool(int n, int k, bool avx2Only)
    {
        var w = Random(n * k, 1);
        var x = Random(k, 2);
        var y = Random(n, 3);
        var expected = new double[n];
        for (int r = 0; r < n; r++)
        {
            double s = 0.5 * y[r]; // beta = 0.5 keeps a share of y
            for (int i = 0; i < k; i++) s += (double)w[r * k + i] * x[i];
            expected[r] = s;
        }
        using var pool = new WorkerPool(2);
        Gemv.ForceVector256 = avx2Only;
        try
        {
            fixed (float* pw = w, px = x, py = y)
                Matmul.Linear(pool, px, 1, new WeightMatrix(DrLlm.Engine.Formats.TensorDType.F32, (byte*)pw, n, k), py, beta: 0.5f);
        }
        finally { Gemv.ForceVector256 = false; }
        for (int r = 0; r < n; r++) Assert.True(Math.Abs(y[r] - expected[r]) < 1e-4 * Math.Max(1, k), $"row {r}: {y[r]} vs {expected[r]}");
    }

    /// <summary>
    /// A product's bits depend on its shape only, not on how many threads share it: OpenBLAS runs single-threaded and
    /// the pool splits C by columns. (OpenBLAS's own threading summed the 300×4096×576 shapes differently for 1 and 2
    /// threads, and its thread count was one global that another model in the process could change: a prefix-reuse
    /// test failed on a CI machine that way.) Also checked against a double-precision loop.
    /// </summary>
    [Theory]
    [InlineData(false, true, 37, 192, 64)]
    [InlineData(false, true, 300, 4096, 576)]
    [InlineData(false, false, 300, 4096, 576)]
    [InlineData(true, false, 64, 1000, 300)]
    [InlineData(false, true, 5, 33, 17)]
    public void Gemm_bits_do_not_depend_on_the_threads_and_match_a_plain_loop(bool ta, bool tb, int m, int n, int k)
    {
        var a = Random(m * k, 4);
        var b = Random(n * k, 5);
        var c0 = Random(m * n, 6);
        int lda = ta ? m : k, ldb = tb ? k : n;
        float[] Run(int threads)
        {
            var c = (float[])c0.Clone();
            using var pool = threads == 0 ? null : new WorkerPool(threads);
            fixed (float* pa = a, pb = b, pc = c) Blas.Gemm(pool, ta, tb, m, n, k, 0.5f, pa, lda, pb, ldb, 0.25f, pc, n);
            return c;
        }
        var one = Run(0);
        foreach (var threads in new[] { 1, 2, 3, 4 }) Assert.Equal(one, Run(threads));
        for (int i = 0; i < m; i += Math.Max(1, m / 7))
            for (int j = 0; j < n; j += Math.Max(1, n / 11))
            {
                double s = 0.25 * c0[i * n + j];
                for (int p = 0; p < k; p++)
                    s += 0.5 * (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                Assert.True(Math.Abs(one[i * n + j] - s) < 1e-5 * k, $"C[{i},{j}] = {one[i * n + j]}, expected {s}");
            }
    }

    private struct Counter { public int* Hits; }

    private static void Count(nint state, int part, int parts)
    {
        var c = (Counter*)state;
        Interlocked.Increment(ref c->Hits[part]);
    }

    [Fact]
    public void Pool_runs_every_part_once_per_call_also_after_its_workers_fell_asleep()
    {
        using var pool = new WorkerPool(3);
        var hits = new int[3];
        fixed (int* h = hits)
        {
            var c = new Counter { Hits = h };
            for (int i = 0; i < 1000; i++) pool.Run(&Count, (nint)(&c));
            Thread.Sleep(20); // well past the spin window: workers now block on their semaphores
            pool.Run(&Count, (nint)(&c));
            Thread.Sleep(20);
            pool.Run(&Count, (nint)(&c));
        }
        Assert.Equal([1002, 1002, 1002], hits);
    }

    [Fact]
    public void Pool_is_safe_to_share_between_threads()
    {
        using var pool = new WorkerPool(2);
        var hits = new int[2];
        fixed (int* h = hits)
        {
            var addr = (nint)h;
            Parallel.For(0, 4, _ =>
            {
                var c = new Counter { Hits = (int*)addr };
                for (int i = 0; i < 200; i++) pool.Run(&Count, (nint)(&c));
            });
        }
        Assert.Equal([800, 800], hits);
    }
}
