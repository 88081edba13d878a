using System.Runtime.InteropServices;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// OpenBLAS through P/Invoke (Debian <c>libopenblas0-pthread</c>). GEMM is where nearly all of a forward pass's FLOPs
/// go; OpenBLAS reaches ~150-180 GFLOP/s on two cores where plain C# SIMD loops reach 10-18 (STACK.md).
/// All matrices are row-major.
/// <para>
/// OpenBLAS always runs single-threaded here; a product is parallelised by splitting C's columns over a
/// <see cref="WorkerPool"/>. The reason is bits: OpenBLAS's own threading changes the order in which some shapes are
/// summed (a 300×4096×576 product differs between 1 and 2 threads), and its thread count is one global setting, so
/// a model built with one thread count in a process would change another's results. Single-threaded OpenBLAS gives
/// every element of C the same bits whatever block of columns it is computed in (checked for NT, NN and TN products,
/// tests), so results depend on the shapes alone, never on threads — which prefix reuse and reproducible searches
/// rely on.
/// </para>
/// </summary>
public static unsafe partial class Blas
{
    private const string Lib = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    // Below this many multiply-adds a product runs on the calling thread: a hand-off to the pool costs more.
    private const long SplitFlops = 1L << 18;

    [LibraryImport(Lib)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib)]
    private static partial void openblas_set_num_threads(int n);

    private static readonly Lazy<bool> Loaded = new(() =>
    {
        if (!NativeLibrary.TryLoad(Lib, typeof(Blas).Assembly, null, out _))
            throw new DllNotFoundException(
                $"{Lib} not found: install OpenBLAS with 'apt-get install -y libopenblas0-pthread' (deploy/install-deps.sh does this)");
        openblas_set_num_threads(1);
        return true;
    });

    /// <summary>Loads OpenBLAS (single-threaded, see the class comment) or explains how to install it.</summary>
    public static void EnsureAvailable() => _ = Loaded.Value;

    private struct Args
    {
        public int TransA, TransB, M, N, K, Lda, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, B, C;
    }

    /// <summary>
    /// C[m, n] = alpha · op(A) · op(B) + beta · C with explicit leading dimensions (row-major), C's columns split over
    /// <paramref name="pool"/> (null: on the calling thread). The bits do not depend on the pool's size.
    /// </summary>
    public static void Gemm(WorkerPool? pool, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc)
    {
        EnsureAvailable();
        var args = new Args
        {
            TransA = transA ? Trans : NoTrans, TransB = transB ? Trans : NoTrans, M = m, N = n, K = k,
            Lda = lda, Ldb = ldb, Ldc = ldc, Alpha = alpha, Beta = beta, A = a, B = b, C = c,
        };
        if (pool == null || pool.Threads == 1 || (long)m * n * k < SplitFlops || n < 32) Columns(ref args, 0, n);
        else pool.Run(&Part, (nint)(&args));
    }

    /// <summary>Y[m, n] = X[m, k] · W[n, k]ᵀ (+ beta·Y): a linear layer over m rows with a weight stored [out, in] as in PyTorch.</summary>
    public static void Linear(WorkerPool? pool, float* x, int m, int k, float* w, int n, float* y, float beta = 0f) =>
        Gemm(pool, false, true, m, n, k, 1f, x, k, w, k, beta, y, n);

    private static void Part(nint state, int part, int parts)
    {
        ref var a = ref *(Args*)state;
        // Contiguous column blocks, cut at multiples of 16 columns (whole cache lines of C and of a row-major B).
        int per = (a.N / parts + 15) & ~15;
        int c0 = Math.Min(a.N, part * per), c1 = part == parts - 1 ? a.N : Math.Min(a.N, c0 + per);
        if (c1 > c0) Columns(ref a, c0, c1);
    }

    private static void Columns(ref Args a, int c0, int c1)
    {
        // op(B) columns c0..c1: rows c0.. of a transposed B [n, k], columns c0.. of a plain one [k, n].
        float* b = a.TransB == Trans ? a.B + (long)c0 * a.Ldb : a.B + c0;
        cblas_sgemm(RowMajor, a.TransA, a.TransB, a.M, c1 - c0, a.K, a.Alpha, a.A, a.Lda, b, a.Ldb, a.Beta, a.C + c0, a.Ldc);
    }

    /// <summary>
    /// GFLOP/s of one n×n · n×n product (median of 5 timed runs after a warm-up) on <paramref name="pool"/>: the
    /// machine's practical matmul peak, which <c>drllm bench gemm</c> prints and the trainer reports its share of.
    /// </summary>
    public static double MeasureGflops(WorkerPool pool, int n = 2048)
    {
        using var a = new NativeBuffer((long)n * n);
        using var b = new NativeBuffer((long)n * n);
        using var c = new NativeBuffer((long)n * n);
        var rng = new Random(1);
        for (long i = 0; i < (long)n * n; i++) { a.Ptr[i] = rng.NextSingle(); b.Ptr[i] = rng.NextSingle(); }
        var times = new List<double>();
        for (int rep = 0; rep < 6; rep++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Linear(pool, a.Ptr, n, n, b.Ptr, n, c.Ptr);
            if (rep > 0) times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return 2.0 * n * n * n / times[times.Count / 2] / 1e9;
    }
}
