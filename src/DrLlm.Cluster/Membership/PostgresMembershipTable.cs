using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace DrLlm.Cluster.Membership;

/// <summary>
/// Orleans cluster membership in our own PostgreSQL tables (db/0003_orleans.sql), instead of the ADO.NET provider whose
/// SQL scripts do not ship in its package (../shared/STACK.md). The contract Orleans relies on: the table has one
/// version, and every row insert or update comes with the version the caller read plus one; the write succeeds only if
/// the stored version is still the one read (and, for an update, the row's etag is still the one read), and the version
/// bump and the row write commit together. Both checks run inside one transaction here. I-am-alive updates touch only
/// their row and no version.
/// </summary>
public sealed class PostgresMembershipTable(NpgsqlDataSource data, IOptions<ClusterOptions> cluster) : IMembershipTable
{
    private readonly string _clusterId = cluster.Value.ClusterId;

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        if (!tryInitTableVersion) return;
        await using var cmd = data.CreateCommand("insert into orleans_membership_version (cluster_id) values ($1) on conflict do nothing");
        cmd.Parameters.Add(new() { Value = _clusterId });
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DeleteMembershipTableEntries(string clusterId)
    {
        await using var cmd = data.CreateCommand("delete from orleans_membership_version where cluster_id = $1");
        cmd.Parameters.Add(new() { Value = clusterId });
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate)
    {
        await using var cmd = data.CreateCommand(
            "delete from orleans_membership where cluster_id = $1 and status = $2 and greatest(i_am_alive_time, start_time) < $3");
        cmd.Parameters.Add(new() { Value = _clusterId });
        cmd.Parameters.Add(new() { Value = (int)SiloStatus.Dead });
        cmd.Parameters.Add(new() { Value = beforeDate.UtcDateTime });
        await cmd.ExecuteNonQueryAsync();
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => Read(key);

    public Task<MembershipTableData> ReadAll() => Read(null);

    private const string Columns = "address, port, generation, silo_name, host_name, status, proxy_port, suspect_times, start_time, i_am_alive_time, etag";

    /// <summary>The version and the rows in one snapshot (a repeatable-read transaction).</summary>
    private async Task<MembershipTableData> Read(SiloAddress? key)
    {
        await using var conn = await data.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        int version;
        await using (var cmd = new NpgsqlCommand("select version from orleans_membership_version where cluster_id = $1", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = _clusterId });
            version = await cmd.ExecuteScalarAsync() is int v ? v : 0;
        }
        var rows = new List<Tuple<MembershipEntry, string>>();
        await using (var cmd = new NpgsqlCommand($"select {Columns} from orleans_membership where cluster_id = $1" +
                         (key is null ? "" : " and address = $2 and port = $3 and generation = $4"), conn, tx))
        {
            cmd.Parameters.Add(new() { Value = _clusterId });
            if (key is not null) AddKey(cmd, key);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                var entry = new MembershipEntry
                {
                    SiloAddress = SiloAddress.New(IPAddress.Parse(r.GetString(0)), r.GetInt32(1), r.GetInt32(2)),
                    SiloName = r.GetString(3),
                    HostName = r.GetString(4),
                    Status = (SiloStatus)r.GetInt32(5),
                    ProxyPort = r.GetInt32(6),
                    SuspectTimes = r.IsDBNull(7) ? [] : ParseSuspects(r.GetString(7)),
                    StartTime = DateTime.SpecifyKind(r.GetDateTime(8), DateTimeKind.Utc),
                    IAmAliveTime = DateTime.SpecifyKind(r.GetDateTime(9), DateTimeKind.Utc),
                };
                rows.Add(Tuple.Create(entry, r.GetInt32(10).ToString(CultureInfo.InvariantCulture)));
            }
        }
        await tx.CommitAsync();
        var tableVersion = new TableVersion(version, version.ToString(CultureInfo.InvariantCulture));
        return new MembershipTableData(rows, tableVersion);
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => Write(entry, null, tableVersion);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => Write(entry, etag, tableVersion);

    /// <summary>Bumps the table version from tableVersion−1 to tableVersion and inserts (etag null) or updates (etag
    /// matching) the row, all or nothing; false when another silo wrote first.</summary>
    private async Task<bool> Write(MembershipEntry entry, string? etag, TableVersion tableVersion)
    {
        await using var conn = await data.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand(
            "update orleans_membership_version set version = $2, updated_at = now() where cluster_id = $1 and version = $3", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = _clusterId });
            cmd.Parameters.Add(new() { Value = tableVersion.Version });
            cmd.Parameters.Add(new() { Value = tableVersion.Version - 1 });
            if (await cmd.ExecuteNonQueryAsync() != 1) return false;
        }
        string sql = etag is null
            ? $"""
              insert into orleans_membership (cluster_id, {Columns})
              values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0) on conflict do nothing
              """
            : """
              update orleans_membership set silo_name = $5, host_name = $6, status = $7, proxy_port = $8, suspect_times = $9,
                     start_time = $10, i_am_alive_time = $11, etag = etag + 1
              where cluster_id = $1 and address = $2 and port = $3 and generation = $4 and etag = $12
              """;
        await using (var cmd = new NpgsqlCommand(sql, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = _clusterId });
            AddKey(cmd, entry.SiloAddress);
            cmd.Parameters.Add(new() { Value = entry.SiloName ?? "" });
            cmd.Parameters.Add(new() { Value = entry.HostName ?? "" });
            cmd.Parameters.Add(new() { Value = (int)entry.Status });
            cmd.Parameters.Add(new() { Value = entry.ProxyPort });
            cmd.Parameters.Add(new() { Value = (object?)FormatSuspects(entry.SuspectTimes) ?? DBNull.Value });
            cmd.Parameters.Add(new() { Value = DateTime.SpecifyKind(entry.StartTime, DateTimeKind.Utc) });
            cmd.Parameters.Add(new() { Value = DateTime.SpecifyKind(entry.IAmAliveTime, DateTimeKind.Utc) });
            if (etag is not null)
            {
                if (!int.TryParse(etag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var e)) return false;
                cmd.Parameters.Add(new() { Value = e });
            }
            if (await cmd.ExecuteNonQueryAsync() != 1) return false;
        }
        await tx.CommitAsync();
        return true;
    }

    public async Task UpdateIAmAlive(MembershipEntry entry)
    {
        await using var cmd = data.CreateCommand(
            "update orleans_membership set i_am_alive_time = $5 where cluster_id = $1 and address = $2 and port = $3 and generation = $4");
        cmd.Parameters.Add(new() { Value = _clusterId });
        AddKey(cmd, entry.SiloAddress);
        cmd.Parameters.Add(new() { Value = DateTime.SpecifyKind(entry.IAmAliveTime, DateTimeKind.Utc) });
        if (await cmd.ExecuteNonQueryAsync() != 1)
            throw new InvalidOperationException($"membership: no row for silo {entry.SiloAddress} in cluster '{_clusterId}'");
    }

    /// <summary>The silo's key as $2, $3, $4 (positional parameters; the cluster id is always $1).</summary>
    private static void AddKey(NpgsqlCommand cmd, SiloAddress silo)
    {
        cmd.Parameters.Add(new() { Value = silo.Endpoint.Address.ToString() });
        cmd.Parameters.Add(new() { Value = silo.Endpoint.Port });
        cmd.Parameters.Add(new() { Value = silo.Generation });
    }

    /// <summary>Suspicions as "silo|ticks;silo|ticks" (SiloAddress.ToParsableString: address:port@generation).</summary>
    private static string? FormatSuspects(List<Tuple<SiloAddress, DateTime>>? votes) =>
        votes is null || votes.Count == 0 ? null
            : string.Join(';', votes.Select(v => $"{v.Item1.ToParsableString()}|{v.Item2.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture)}"));

    private static List<Tuple<SiloAddress, DateTime>> ParseSuspects(string text) =>
        [.. text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(v =>
        {
            int bar = v.LastIndexOf('|');
            return Tuple.Create(SiloAddress.FromParsableString(v[..bar]),
                new DateTime(long.Parse(v[(bar + 1)..], CultureInfo.InvariantCulture), DateTimeKind.Utc));
        })];
}
