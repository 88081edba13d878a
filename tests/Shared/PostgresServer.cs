using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DrLlm.Tests.Shared;

/// <summary>
/// A private PostgreSQL for the tests, started with deploy/postgres.sh in a temporary directory on a free port (never
/// the system's server), stopped and deleted on dispose. <see cref="Stop"/>/<see cref="Start"/> restart it mid-test.
/// <see cref="CreateDatabase"/> gives each test a fresh database on it. Linked into the cluster and dashboard tests.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public string Dir { get; }
    public int Port { get; }
    private int _dbs;

    public PostgresServer()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"drllm-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Port = FreePort();
        Start();
    }

    public static string RepoRoot => RepoPaths.Root;

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=drllm;Database=drllm;Pooling=false";

    public void Start() => Script("start");
    public void Stop() => Script("stop");

    /// <summary>A new empty database; returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"t{Interlocked.Increment(ref _dbs)}_{Guid.NewGuid():N}"[..20];
        using var conn = new NpgsqlConnection(AdminConnectionString);
        conn.Open();
        using (var cmd = new NpgsqlCommand($"create database {name}", conn)) cmd.ExecuteNonQuery();
        return $"Host=127.0.0.1;Port={Port};Username=drllm;Database={name}";
    }

    private string Script(string command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "deploy", "postgres.sh"));
        psi.ArgumentList.Add(command);
        psi.ArgumentList.Add(Dir);
        psi.Environment["PGPORT"] = Port.ToString();
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"deploy/postgres.sh {command} failed ({p.ExitCode}): {err.Result}");
        return output.Trim();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
