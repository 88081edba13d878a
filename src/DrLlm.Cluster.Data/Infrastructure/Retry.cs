using System.Net.Sockets;
using Npgsql;

namespace DrLlm.Cluster.Data;

/// <summary>
/// Retries database work through outages (a PostgreSQL restart, a dropped connection): transient Npgsql errors are
/// retried with back-off for up to <see cref="Patience"/>, after clearing the connection pools (a pooled connection to
/// a restarted server is dead). Anything else, and an outage longer than that, is thrown.
/// </summary>
public static class Retry
{
    public static TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(90);

    public static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException p => p.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "08006" or "08001" or "08000" or "40001" or "40P01",
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        SocketException or IOException => true,
        InvalidOperationException { InnerException: { } inner } => IsTransient(inner),
        Microsoft.EntityFrameworkCore.DbUpdateException { InnerException: { } inner } => IsTransient(inner),
        _ => e.InnerException is NpgsqlException ne && IsTransient(ne),
    };

    public static async Task<T> Run<T>(Func<Task<T>> work, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow + Patience;
        int delay = 100;
        while (true)
        {
            try { return await work(); }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < until && !ct.IsCancellationRequested)
            {
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(delay, CancellationToken.None);
                delay = Math.Min(delay * 2, 2000);
            }
        }
    }

    public static Task Run(Func<Task> work, CancellationToken ct = default) =>
        Run(async () => { await work(); return 0; }, ct);
}
