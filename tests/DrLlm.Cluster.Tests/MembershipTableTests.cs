using System.Net;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Membership;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace DrLlm.Cluster.Tests;

/// <summary>The Orleans membership contract on our PostgreSQL table: version-checked inserts and updates, etag-checked
/// updates, i-am-alive without a version bump, suspicions round-tripped, dead rows cleaned up.</summary>
[Collection("pg")]
public sealed class MembershipTableTests(PostgresServer pg)
{
    private static MembershipEntry Entry(int port, SiloStatus status = SiloStatus.Joining) => new()
    {
        SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 7), SiloName = $"s{port}", HostName = "h", Status = status,
        ProxyPort = port + 1, StartTime = DateTime.UtcNow.AddSeconds(-5), IAmAliveTime = DateTime.UtcNow, SuspectTimes = [],
    };

    private async Task<PostgresMembershipTable> Table()
    {
        var cs = pg.CreateDatabase();
        await Migrator.MigrateAsync(cs);
        var t = new PostgresMembershipTable(NpgsqlDataSource.Create(cs), Options.Create(new ClusterOptions { ClusterId = "c1" }));
        await t.InitializeMembershipTable(true);
        await t.InitializeMembershipTable(true); // a second silo initialising finds the version row there
        return t;
    }

    [Fact]
    public async Task Writes_succeed_only_against_the_version_they_read()
    {
        var t = await Table();
        var v0 = (await t.ReadAll()).Version;
        Assert.Equal(0, v0.Version);
        Assert.True(await t.InsertRow(Entry(1000), v0.Next()));
        Assert.False(await t.InsertRow(Entry(2000), v0.Next()));             // stale version: another silo wrote first
        var read = await t.ReadAll();
        Assert.Equal(1, read.Version.Version);
        Assert.Single(read.Members);
        Assert.False(await t.InsertRow(Entry(1000), read.Version.Next()));   // the same silo twice
        Assert.Equal(1, (await t.ReadAll()).Version.Version);                // and the failed insert did not bump the version

        var (entry, etag) = read.Members[0];
        entry.Status = SiloStatus.Active;
        entry.AddOrUpdateSuspector(SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 3000), 9), DateTime.UtcNow, 2);
        Assert.True(await t.UpdateRow(entry, etag, read.Version.Next()));
        Assert.False(await t.UpdateRow(entry, etag, read.Version.Next().Next())); // stale etag
        var row = (await t.ReadRow(entry.SiloAddress)).Members.Single().Item1;
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Equal(1001, row.ProxyPort);
        Assert.Equal(3000, Assert.Single(row.SuspectTimes!).Item1.Endpoint.Port);
    }

    [Fact]
    public async Task I_am_alive_moves_only_the_time_and_dead_rows_are_cleaned_up()
    {
        var t = await Table();
        var e = Entry(1000, SiloStatus.Dead);
        e.IAmAliveTime = DateTime.UtcNow.AddDays(-2);
        e.StartTime = DateTime.UtcNow.AddDays(-2);
        Assert.True(await t.InsertRow(e, (await t.ReadAll()).Version.Next()));
        var live = Entry(2000, SiloStatus.Active);
        Assert.True(await t.InsertRow(live, (await t.ReadAll()).Version.Next()));
        int version = (await t.ReadAll()).Version.Version;
        live.IAmAliveTime = DateTime.UtcNow.AddSeconds(5);
        await t.UpdateIAmAlive(live);
        Assert.Equal(version, (await t.ReadAll()).Version.Version);
        await t.CleanupDefunctSiloEntries(DateTimeOffset.UtcNow.AddDays(-1));
        var left = (await t.ReadAll()).Members.Select(m => m.Item1.SiloAddress.Endpoint.Port).ToList();
        Assert.Equal([2000], left);
        await Assert.ThrowsAsync<InvalidOperationException>(() => t.UpdateIAmAlive(e));
    }
}
