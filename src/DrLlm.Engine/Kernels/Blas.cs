using System.Runtime.InteropServices;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// OpenBLAS through P/Invoke (Debian <c>libopenblas0-pthread</c>). GEMM is where nearly all of a forward pass's FLOPs
/// go; OpenBLAS reaches ~150-180 GFLOP/s on two cores where plain C# SIMD loops reach 10-18 (STACK.md).
/// All matrices are row-major.
/// </summary>
public static unsafe partial class Blas
{
    private const string Lib = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport(Lib)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib)]
    private static partial void cblas_sgemv(int order, int trans, int m, int n,
        float alpha, float* a, int lda, float* x, int incx, float beta, float* y, int incy);

    [LibraryImport(Lib)]
    private static partial void openblas_set_num_threads(int n);

    [LibraryImport(Lib)]
    private static partial int openblas_get_num_threads();

    /// <summary>Loads OpenBLAS or explains how to install it.</summary>
    public static void EnsureAvailable()
    {
        if (!NativeLibrary.TryLoad(Lib, typeof(Blas).Assembly, null, out _))
            throw new DllNotFoundException(
                $"{Lib} not found: install OpenBLAS with 'apt-get install -y libopenblas0-pthread' (deploy/install-deps.sh does this)");
    }

    public static void SetThreads(int n) => openblas_set_num_threads(Math.Max(1, n));
    public static int GetThreads() => openblas_get_num_threads();

    /// <summary>
    /// Y[m, n] = X[m, k] · W[n, k]ᵀ (+ beta·Y): a linear layer over m rows with a weight stored [out, in] as in PyTorch.
    /// One row goes through GEMV, which OpenBLAS runs at memory bandwidth.
    /// </summary>
    public static void Linear(float* x, int m, int k, float* w, int n, float* y, float beta = 0f)
    {
        if (m == 1) cblas_sgemv(RowMajor, NoTrans, n, k, 1f, w, k, x, 1, beta, y, 1);
        else cblas_sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, x, k, w, k, beta, y, n);
    }

    /// <summary>C[m, n] = alpha · op(A) · op(B) + beta · C with explicit leading dimensions (row-major).</summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc) =>
        cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// GFLOP/s of one n×n · n×n sgemm (median of 5 timed runs after a warm-up) with the current thread setting: the
    /// machine's practical matmul peak, which <c>drllm bench gemm</c> prints and the trainer reports its share of.
    /// </summary>
    public static double MeasureGflops(int n = 2048)
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
            Linear(a.Ptr, n, n, b.Ptr, n, c.Ptr);
            if (rep > 0) times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return 2.0 * n * n * n / times[times.Count / 2] / 1e9;
    }
}
