using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Tests.Engine;

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
            fixed (float* pw = w, px = x, py = y) Gemv.Run(pool, pw, n, k, px, py, beta: 0.5f);
        }
        finally { Gemv.ForceVector256 = false; }
        for (int r = 0; r < n; r++) Assert.True(Math.Abs(y[r] - expected[r]) < 1e-4 * Math.Max(1, k), $"row {r}: {y[r]} vs {expected[r]}");
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
