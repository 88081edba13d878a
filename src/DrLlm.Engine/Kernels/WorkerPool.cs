using System.Diagnostics;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// A fixed set of threads that split one loop with the caller, for the decode step's matrix-vector products. Decoding
/// a token runs ~200 small parallel loops; Parallel.For costs an allocation and a thread hand-off each, so here workers
/// spin briefly between loops (no syscall on the hot path) and sleep on a semaphore once idle for
/// <see cref="SpinMicroseconds"/>, so an idle pool does not burn cores. Calls are serialised with a lock, so sessions on
/// different threads may share one pool.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    private const long SpinMicroseconds = 200;

    private readonly Worker[] _workers;
    private readonly object _gate = new();
    private delegate*<nint, int, int, void> _body;
    private nint _state;
    private int _parts;
    private int _generation;
    private int _done;
    private volatile bool _disposed;

    // One scratch buffer per part (a GEMM's dequantised tiles), grown only under _gate, freed with the pool.
    private readonly float** _scratch;
    private readonly long[] _scratchFloats;

    public int Threads { get; }

    /// <summary>
    /// Per-part scratch of a <see cref="Run(delegate*{nint, int, int, void}, nint, long)"/> that asked for it: part p
    /// may use ScratchTable[p] (64-byte aligned) during the call. The table's address never changes.
    /// </summary>
    public float** ScratchTable => _scratch;

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _scratch = (float**)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)Threads, (nuint)sizeof(float*));
        _scratchFloats = new long[Threads];
        _workers = new Worker[Threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            var w = _workers[i] = new Worker(i + 1);
            w.Thread = new Thread(() => Loop(w)) { IsBackground = true, Name = $"drllm-worker-{i + 1}" };
            w.Thread.Start();
        }
    }

    /// <summary>
    /// Calls body(state, part, parts) for part = 0..parts-1 where parts = <see cref="Threads"/>; the caller runs part 0.
    /// Returns when every part is done. <paramref name="state"/> is typically the address of a stack struct. With
    /// <paramref name="scratchFloats"/> &gt; 0, each part's <see cref="ScratchTable"/> entry holds at least that many floats.
    /// </summary>
    public void Run(delegate*<nint, int, int, void> body, nint state, long scratchFloats = 0)
    {
        if (_workers.Length == 0 && scratchFloats == 0) { body(state, 0, 1); return; }
        lock (_gate)
        {
            if (scratchFloats > 0) EnsureScratch(scratchFloats);
            if (_workers.Length == 0) { body(state, 0, 1); return; }
            _body = body;
            _state = state;
            _parts = Threads;
            Volatile.Write(ref _done, 0);
            Interlocked.Increment(ref _generation);
            foreach (var w in _workers)
                if (Interlocked.Exchange(ref w.Sleeping, 0) == 1) w.Wake.Release();
            body(state, 0, Threads);
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < _workers.Length) spin.SpinOnce(-1);
        }
    }

    private void EnsureScratch(long floats)
    {
        for (int p = 0; p < Threads; p++)
        {
            if (_scratchFloats[p] >= floats) continue;
            System.Runtime.InteropServices.NativeMemory.AlignedFree(_scratch[p]);
            _scratch[p] = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(floats * 4), 64);
            _scratchFloats[p] = floats;
        }
    }

    private void Loop(Worker w)
    {
        int seen = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (Stopwatch.GetElapsedTime(start).Ticks > SpinMicroseconds * 10)
                {
                    // Announce sleep, then re-check: Run bumps the generation before it looks for sleepers. The announcement
                    // must be a full fence (Interlocked), not a release write: x86 may otherwise let the re-check's load pass
                    // the store still in the store buffer, so this worker reads the old generation while Run does not yet see
                    // Sleeping = 1 — the worker sleeps, nobody wakes it, and Run spins forever (seen as a search stuck at
                    // 100% CPU under load).
                    Interlocked.Exchange(ref w.Sleeping, 1);
                    if (Volatile.Read(ref _generation) != seen || _disposed)
                    {
                        if (Interlocked.Exchange(ref w.Sleeping, 0) == 0) w.Wake.Wait(); // Run already released us
                    }
                    else w.Wake.Wait();
                    start = Stopwatch.GetTimestamp();
                }
                else spin.SpinOnce(-1);
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            _body(_state, w.Index, _parts);
            Interlocked.Increment(ref _done);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var w in _workers)
            if (Interlocked.Exchange(ref w.Sleeping, 0) == 1) w.Wake.Release();
        foreach (var w in _workers) w.Thread?.Join();
        lock (_gate)
        {
            for (int p = 0; p < Threads; p++) System.Runtime.InteropServices.NativeMemory.AlignedFree(_scratch[p]);
            System.Runtime.InteropServices.NativeMemory.Free(_scratch);
        }
    }

    private sealed class Worker(int index)
    {
        public readonly int Index = index;
        public readonly SemaphoreSlim Wake = new(0);
        public int Sleeping;
        public Thread? Thread;
    }
}
