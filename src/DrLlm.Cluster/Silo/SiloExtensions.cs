using System.Net;
using System.Net.Sockets;
using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Membership;
using DrLlm.Cluster.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DrLlm.Cluster.Silo;

/// <summary>The silo's wiring, in one place: services, Orleans (membership, endpoints, metadata, placement, timeouts)
/// and the hosted services.</summary>
public static class SiloExtensions
{
    public static HostApplicationBuilder AddDrLlmNode(this HostApplicationBuilder builder, NodeOptions options, SiloNode node, ClusterStore store,
        ModelHosts hosts)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; })
            .AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning).SetMinimumLevel(LogLevel.Warning)
            // the silo warns at every start that ServerGC is off: drllm runs workstation GC on purpose (2-core machines)
            .AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(c => c.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(45));
        builder.Services.AddSingleton(options).AddSingleton(node).AddSingleton(store).AddSingleton(hosts).AddSingleton<NpgsqlDataSource>(store.Data);
        builder.UseOrleans(silo => silo.AddDrLlmSilo(options, hosts.Models));
        // After UseOrleans: these start once the silo is active (hosted services start in order).
        builder.Services.AddHostedService<Heartbeat>().AddHostedService<Watchdog>();
        return builder;
    }

    /// <summary>
    /// Membership settings, chosen from what ../shared/STACK.md measured here. A silo probes others every second
    /// (ProbeTimeout 1 s) and suspects one after 3 missed probes; 2 votes (of the silos probing it) declare it dead, or
    /// 1 in a 2-silo cluster (Orleans caps the votes at half the active silos), and votes expire after 10 s. So a killed
    /// silo (connection reset) is declared dead in ~3-5 s and a hung one (SIGSTOP: no reset; the connection-liveness
    /// check stays on) in ~11-15 s, while one starved silo, on these 2-core machines where a GC pause or a busy
    /// neighbour can delay a probe past a second, cannot evict a healthy one on its own vote (one vote, 2 misses: 2.4 s,
    /// but a false eviction under load). The table is re-read every 2 s and I-am-alive written every 2 s, so joins and
    /// deaths reach every silo quickly; the cost is one small UPDATE per silo every 2 s.
    /// </summary>
    public static ISiloBuilder AddDrLlmSilo(this ISiloBuilder silo, NodeOptions o, IEnumerable<string> models)
    {
        silo.Configure<ClusterOptions>(c => { c.ClusterId = o.ClusterId; c.ServiceId = "drllm"; });
        silo.Configure<SiloOptions>(s => s.SiloName = o.NodeId);
        silo.ConfigureEndpoints(o.Advertise, o.SiloPort == 0 ? FreePort(o.Advertise) : o.SiloPort,
            o.GatewayPort == 0 ? FreePort(o.Advertise) : o.GatewayPort, listenOnAnyHostAddress: false);
        silo.Services.AddSingleton<PostgresMembershipTable>();
        silo.Services.AddSingleton<IMembershipTable>(sp => sp.GetRequiredService<PostgresMembershipTable>());
        silo.UseSiloMetadata(SiloFacts.Describe(o.NodeId, models, o.Concurrency));
        silo.Services.AddPlacementDirector<ModelPlacement, ModelPlacementDirector>();
        silo.Configure<ClusterMembershipOptions>(m =>
        {
            m.ProbeTimeout = TimeSpan.FromSeconds(1);
            m.NumMissedProbesLimit = 3;
            m.NumVotesForDeathDeclaration = 2;
            m.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
            m.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            m.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
        });
        // Finished work grains hold nothing worth keeping; a running one stays active through its keep-alive timer.
        silo.Configure<GrainCollectionOptions>(g => g.CollectionAge = TimeSpan.FromMinutes(2));
        return silo;
    }

    /// <summary>A port nothing listens on now at <paramref name="address"/> (the OS picks it).</summary>
    private static int FreePort(IPAddress address)
    {
        using var l = new TcpListener(address, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
