using Npgsql;

namespace DrLlm.Cluster.Data;

/// <summary>
/// How a client (the CLI, the dashboard) reaches the cluster's database: the connection string is checked first, so a
/// typo is reported as such and not as "cannot reach"; connecting gives up after <see cref="ConnectSeconds"/>, so an
/// unreachable server is reported within seconds (a client never waits through an outage; silos do, see Retry); and
/// the schema is brought up to date once per process.
/// </summary>
public static class ClusterDatabase
{
    public const int ConnectSeconds = 5;
    private static readonly HashSet<string> Migrated = [];

    /// <summary>The connection string with the client's connect timeout, or a one-line error naming what is malformed.</summary>
    public static string Checked(string connectionString)
    {
        NpgsqlConnectionStringBuilder b;
        try { b = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"malformed database connection string: {e.Message} (expected e.g. Host=127.0.0.1;Port=55432;Username=drllm;Database=drllm)");
        }
        if (string.IsNullOrWhiteSpace(b.Host)) throw new ArgumentException("database connection string: no Host (expected e.g. Host=127.0.0.1;Port=55432;Username=drllm;Database=drllm)");
        if (b.Timeout is 0 or > ConnectSeconds) b.Timeout = ConnectSeconds;
        return b.ConnectionString;
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var cs = Checked(connectionString);
        try
        {
            bool migrate;
            lock (Migrated) migrate = !Migrated.Contains(cs);
            if (migrate)
            {
                await Migrator.MigrateAsync(cs);
                lock (Migrated) Migrated.Add(cs);
            }
            var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            return conn;
        }
        catch (Exception e) when (IsUnreachable(e)) { throw Unreachable(cs, e); }
    }

    public static bool IsUnreachable(Exception e) => e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException;

    /// <summary>The one-line error for a database that did not answer, naming where it was looked for.</summary>
    public static InvalidOperationException Unreachable(string connectionString, Exception e)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return new InvalidOperationException($"cannot reach the cluster database at {b.Host}:{b.Port} ({e.Message})", e);
    }
}
