using System.Diagnostics;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Tests.Engine;

/// <summary>The spinning worker pool behind the GEMV and attention kernels: every part runs once per call, and it never stalls.</summary>
public unsafe class WorkerPoolTests
{
    private static void AddPart(nint state, int part, int parts) => Interlocked.Add(ref ((long*)state)[part], 1);

    [Fact]
    public void Calls_between_which_the_workers_fall_asleep_all_complete_and_run_every_part()
    {
        // Pauses around the workers' spin limit (200 µs) make them announce sleep while the next call starts: the
        // handshake whose missing fence once left a worker asleep and the caller spinning for ever.
        const int calls = 3000;
        using var pool = new WorkerPool(Math.Max(2, Environment.ProcessorCount));
        var counts = new long[pool.Threads];
        var run = new Thread(() =>
        {
            var rng = new Random(7);
            fixed (long* c = counts)
                for (int i = 0; i < calls; i++)
                {
                    pool.Run(&AddPart, (nint)c);
                    long until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * rng.Next(150, 260) / 1_000_000;
                    while (Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
                }
        }) { IsBackground = true };
        run.Start();
        Assert.True(run.Join(TimeSpan.FromSeconds(60)), "the pool stalled: a call never saw all its parts finish");
        Assert.All(counts, c => Assert.Equal(calls, c));
    }
}
