using DrLlm.Cluster.Data;
using DrLlm.Cluster.Grains;
using Microsoft.Extensions.Hosting;

namespace DrLlm.Cluster.Silo;

/// <summary>
/// Keeps every live sweep's grain active, from every silo: once a second it reads the sweeps that are queued, running
/// or cancelling and wakes their grains. A newly launched sweep is picked up within a second (clients only insert a
/// row), and a sweep whose grain was on a silo that died is re-activated on a survivor at the first wake after the
/// membership declared that silo dead; that grain's next tick then restarts the dead silo's work (SweepGrain). Waking
/// an active grain is a no-op, so several silos doing it at once is harmless.
/// </summary>
public sealed class Watchdog(ClusterStore store, SiloNode node, IGrainFactory grains) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1), CallTimeout = TimeSpan.FromSeconds(5);
    private readonly Dictionary<long, string> _lastError = [];

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Period);
        do
        {
            List<long> live;
            try
            {
                await using var cmd = store.Data.CreateCommand("select id from sweeps where status in ('queued', 'running', 'cancelling') order by id");
                await using var r = await cmd.ExecuteReaderAsync(stop);
                live = [];
                while (await r.ReadAsync(stop)) live.Add(r.GetInt64(0));
            }
            catch (Exception e) when (Retry.IsTransient(e)) { continue; }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
            await Task.WhenAll(live.Select(Wake));
        } while (await Next(timer, stop));
    }

    private static async Task<bool> Next(PeriodicTimer timer, CancellationToken stop)
    {
        try { return await timer.WaitForNextTickAsync(stop); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task Wake(long sweep)
    {
        try
        {
            await grains.GetGrain<ISweepGrain>(sweep).Wake().WaitAsync(CallTimeout);
            lock (_lastError) _lastError.Remove(sweep);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException or TaskCanceledException)
        {
            // Expected while the sweep grain's silo is dying and not yet declared dead; logged once per kind of error.
            var what = e.GetType().Name;
            bool changed;
            lock (_lastError) { changed = _lastError.GetValueOrDefault(sweep) != what; _lastError[sweep] = what; }
            if (changed) node.Log($"sweep {sweep}: wake failed ({what}: {e.Message}); retrying every second");
        }
    }
}
