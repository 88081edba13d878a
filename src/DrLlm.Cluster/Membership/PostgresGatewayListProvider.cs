using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;

namespace DrLlm.Cluster.Membership;

/// <summary>Where Orleans clients find gateways: the active silos of our membership table with a gateway port.</summary>
public sealed class PostgresGatewayListProvider(PostgresMembershipTable table, IOptions<GatewayOptions> options) : IGatewayListProvider
{
    public TimeSpan MaxStaleness => options.Value.GatewayListRefreshPeriod;
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => table.InitializeMembershipTable(true);

    public async Task<IList<Uri>> GetGateways()
    {
        var all = await table.ReadAll();
        return [.. all.Members.Select(m => m.Item1).Where(e => e.Status == SiloStatus.Active && e.ProxyPort != 0)
            .Select(e => SiloAddress.New(e.SiloAddress.Endpoint.Address, e.ProxyPort, e.SiloAddress.Generation).ToGatewayUri())];
    }
}
