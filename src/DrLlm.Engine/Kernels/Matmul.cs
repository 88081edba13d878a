using DrLlm.Engine.Formats;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// Linear layers on weights as stored: Y = X[m, k] · Wᵀ (+ beta·Y) for one or more weights that read the same X (a
/// block's Q, K and V; its gate and up), run as one parallel loop over all their rows together, whatever each weight's
/// type. One token (m = 1) goes to the GEMV (<see cref="Gemv"/>). A prompt chunk goes to OpenBLAS's single-threaded
/// <c>cblas_sgemm</c>: an f32 weight directly, any other type through panels of rows dequantised into an f32 tile
/// (the pool's per-part scratch, ~1 MiB at most), so the GEMM never needs an f32 copy of the matrix.
/// <para>
/// Results do not depend on the thread count (tests): a GEMV row is one dot product whichever thread computes it, and
/// a GEMM runs as the same OpenBLAS calls on the same blocks of rows for any number of threads, only their distribution
/// over the pool changes.
/// </para>
/// </summary>
public static unsafe class Matmul
{
    // Rows per dequantised panel: enough that OpenBLAS's repacking of X per call stays small beside the product
    // (2·m·rows·k flops per m·k values packed), few enough that the tile stays within the 2 MiB L2.
    private const long TileBytes = 1 << 20;

    private struct Args
    {
        public LinearOutput* Outs;
        public int Count, TotalRows, M, K;
        public float* X;
        public float** Tiles;
        public int Panel;
        public float Beta;
    }

    /// <summary>Y = X[m, k]·Wᵀ (+ beta·Y) for a single weight (Y's row stride W.Rows).</summary>
    public static void Linear(WorkerPool pool, float* x, int m, in WeightMatrix w, float* y, float beta = 0f)
    {
        var o = new LinearOutput(w, y, w.Rows);
        Linear(pool, x, m, &o, 1, beta);
    }

    /// <summary>
    /// Every output's Y = X[m, k]·Wᵀ (+ beta·Y), X shared (k = each W's column count), in one loop over the pool.
    /// </summary>
    public static void Linear(WorkerPool pool, float* x, int m, LinearOutput* outs, int count, float beta = 0f)
    {
        int k = outs[0].W.Cols, total = 0;
        for (int i = 0; i < count; i++)
        {
            if (outs[i].W.Cols != k)
                throw new ArgumentException($"linear outputs read one input: weight {i} has {outs[i].W.Cols} columns, weight 0 has {k}");
            total += outs[i].W.Rows;
        }
        bool tiles = false;
        for (int i = 0; i < count && m > 1; i++) tiles |= outs[i].W.Type != TensorDType.F32;
        int panel = (int)Math.Clamp(TileBytes / 4 / k / 16 * 16, 16, 256);
        var a = new Args
        {
            Outs = outs, Count = count, TotalRows = total, M = m, K = k, X = x, Beta = beta, Tiles = pool.ScratchTable, Panel = panel,
        };
        if (m > 1) Blas.EnsureAvailable();
        pool.Run(&Part, (nint)(&a), tiles ? (long)panel * k : 0);
    }

    private static void Part(nint state, int part, int parts)
    {
        ref var a = ref *(Args*)state;
        if (a.M == 1)
        {
            // GEMV: contiguous ranges of the outputs' rows taken together, cut at multiples of 16 rows (whole cache
            // lines of y); a row's dot product is the same whichever part computes it.
            int per = (a.TotalRows / parts + 15) & ~15;
            int g0 = Math.Min(a.TotalRows, part * per), g1 = part == parts - 1 ? a.TotalRows : Math.Min(a.TotalRows, g0 + per);
            int first = 0;
            for (int i = 0; i < a.Count && g0 < g1; first += a.Outs[i].W.Rows, i++)
            {
                ref var o = ref a.Outs[i];
                int r0 = Math.Max(g0, first) - first, r1 = Math.Min(g1, first + o.W.Rows) - first;
                if (r1 > r0) Gemv.Rows(o.W, a.X, o.Y, r0, r1, a.Beta);
            }
            return;
        }
        // GEMM: each weight's rows in blocks of Panel rows, the same blocks for every thread count (so every OpenBLAS
        // call has the same shape however many parts share the work: its kernels for narrow products sum in another
        // order, measured), each block to the part its middle row falls in.
        long done = 0;
        for (int i = 0; i < a.Count; i++)
        {
            ref var o = ref a.Outs[i];
            for (int r0 = 0; r0 < o.W.Rows; r0 += a.Panel)
            {
                int r1 = Math.Min(o.W.Rows, r0 + a.Panel);
                if ((done + (r1 - r0) / 2) * parts / a.TotalRows == part) Gemm(ref a, in o, r0, r1, a.Tiles[part]);
                done += r1 - r0;
            }
        }
    }

    private static void Gemm(ref Args a, in LinearOutput o, int r0, int r1, float* tile)
    {
        var w = o.W;
        int k = a.K;
        float* b = (float*)w.Row(r0);
        if (w.Type != TensorDType.F32)
        {
            for (int r = r0; r < r1; r++) w.DequantizeRow(r, tile + (long)(r - r0) * k);
            b = tile;
        }
        Blas.Gemm(null, false, true, a.M, r1 - r0, k, 1f, a.X, k, b, k, a.Beta, o.Y + r0, o.Ldy);
    }
}
