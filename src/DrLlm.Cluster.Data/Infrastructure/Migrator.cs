using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace DrLlm.Cluster.Data;

/// <summary>
/// Applies the numbered SQL migrations of db/ (embedded in this assembly as db/NNNN_name.sql). Several nodes may start at once: all of it runs under one session-level advisory lock, so one
/// process migrates and the others wait, then find nothing left to do. Each migration runs in its own transaction and
/// is recorded in schema_migrations with its SHA-256; a recorded migration whose file has changed is an error.
/// </summary>
public static class Migrator
{
    /// <summary>Advisory lock key: "drllm" in ASCII.</summary>
    public const long LockKey = 0x6472_6c6c_6d;

    public sealed record Migration(int Version, string Name, string Sql, string Sha256);

    public static IReadOnlyList<Migration> Embedded()
    {
        var asm = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var res in asm.GetManifestResourceNames().Where(n => n.StartsWith("db/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = res[3..^4];
            int us = file.IndexOf('_');
            if (us < 1 || !int.TryParse(file[..us], out int version))
                throw new InvalidOperationException($"db/{file}.sql: migration files are named NNNN_name.sql");
            using var s = asm.GetManifestResourceStream(res)!;
            var sql = new StreamReader(s).ReadToEnd();
            list.Add(new Migration(version, file[(us + 1)..], sql, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < list.Count; i++)
            if (list[i].Version == list[i - 1].Version) throw new InvalidOperationException($"two migrations numbered {list[i].Version}");
        return list;
    }

    /// <summary>Brings the database up to date; returns the versions this call applied (empty when another process did).</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(string connectionString, CancellationToken ct = default)
    {
        var applied = new List<int>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await Exec(conn, $"select pg_advisory_lock({LockKey})", ct);
        try
        {
            await Exec(conn, """
                create table if not exists schema_migrations (
                    version     integer primary key,
                    name        text not null,
                    sha256      text not null,
                    applied_at  timestamptz not null default now())
                """, ct);
            var done = new Dictionary<int, string>();
            await using (var cmd = new NpgsqlCommand("select version, sha256 from schema_migrations", conn))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) done[r.GetInt32(0)] = r.GetString(1);
            foreach (var m in Embedded())
            {
                if (done.TryGetValue(m.Version, out var sha))
                {
                    if (sha != m.Sha256)
                        throw new InvalidOperationException($"migration {m.Version:D4}_{m.Name} was applied with different contents " +
                            $"(sha256 {sha[..12]}…, the file now has {m.Sha256[..12]}…): add a new migration instead of editing an applied one");
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var cmd = new NpgsqlCommand(m.Sql, conn, tx)) await cmd.ExecuteNonQueryAsync(ct);
                await using (var cmd = new NpgsqlCommand("insert into schema_migrations (version, name, sha256) values ($1, $2, $3)", conn, tx))
                {
                    cmd.Parameters.Add(new() { Value = m.Version });
                    cmd.Parameters.Add(new() { Value = m.Name });
                    cmd.Parameters.Add(new() { Value = m.Sha256 });
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                applied.Add(m.Version);
            }
        }
        finally
        {
            if (conn.State == System.Data.ConnectionState.Open)
                await Exec(conn, $"select pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
        return applied;
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
