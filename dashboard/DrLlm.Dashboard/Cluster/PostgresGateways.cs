using System.Net;
using DrLlm.Cluster.Data;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace DrLlm.Dashboard.Cluster;

/// <summary>
/// Where the dashboard's Orleans client finds gateways: the active silos of the cluster's membership table
/// (orleans_membership, db/0003_orleans.sql) that have a gateway port.
/// </summary>
public sealed class PostgresGateways(DashboardOptions dashboard, IOptions<GatewayOptions> options) : IGatewayListProvider
{
    private const int Active = 3; // Orleans.Runtime.SiloStatus.Active

    public TimeSpan MaxStaleness => options.Value.GatewayListRefreshPeriod;
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public async Task<IList<Uri>> GetGateways()
    {
        await using var conn = await ClusterDatabase.OpenAsync(dashboard.ConnectionString);
        await using var cmd = new NpgsqlCommand(
            "select address, proxy_port, generation from orleans_membership where cluster_id = $1 and status = $2 and proxy_port <> 0", conn);
        cmd.Parameters.Add(new() { Value = dashboard.ClusterId });
        cmd.Parameters.Add(new() { Value = Active });
        var gateways = new List<Uri>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            if (IPAddress.TryParse(r.GetString(0), out var ip))
                gateways.Add(SiloAddress.New(ip, r.GetInt32(1), r.GetInt32(2)).ToGatewayUri());
        return gateways;
    }
}
