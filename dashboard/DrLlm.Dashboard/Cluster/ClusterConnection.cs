using DrLlm.Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Messaging;

namespace DrLlm.Dashboard.Cluster;

/// <summary>
/// The dashboard's Orleans client, connected in the background: the pages read PostgreSQL and work without any silo,
/// so the dashboard starts at once and keeps trying to reach a gateway (every few seconds) until a silo is up. What
/// needs a silo (checking a spec with the cluster's parser, the task list, live ModelHost figures) says so when none is
/// reachable instead of waiting.
/// </summary>
public sealed class ClusterConnection(DashboardOptions options, ILogger<ClusterConnection> log) : BackgroundService
{
    private IHost? _host;
    private volatile IClusterClient? _client;

    /// <summary>The connected client, or null while no silo's gateway has been reached yet.</summary>
    public IClusterClient? Client => _client;

    public const string NoSilo = "no silo is reachable: start one with `./drllm node --db … --models NAME=PATH` (the dashboard connects by itself)";

    /// <summary>Runs a grain call, or returns <paramref name="unavailable"/>(reason) when no silo can take it.</summary>
    public async Task<T> CallAsync<T>(Func<IClusterClient, Task<T>> call, Func<string, T> unavailable)
    {
        var c = _client;
        if (c is null) return unavailable(NoSilo);
        try { return await call(c).WaitAsync(TimeSpan.FromSeconds(20)); }
        catch (Exception e) when (e is SiloUnavailableException or TimeoutException
                                      or OrleansMessageRejectionException or OrleansException)
        {
            return unavailable($"the cluster did not answer ({e.GetType().Name}: {FirstLine(e.Message)})");
        }
        // Whatever a grain threw: one line on the page (the circuit and what was typed survive), the detail in the log.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "grain call failed");
            return unavailable($"the cluster failed to answer ({e.GetType().Name}: {FirstLine(e.Message)})");
        }
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var probe = new PostgresGateways(options, Microsoft.Extensions.Options.Options.Create(new GatewayOptions()));
        while (!stop.IsCancellationRequested)
        {
            // A client started while no gateway is listed waits out its whole attempt even after a silo joins: so it is
            // started only once the membership table lists an active gateway.
            int listed;
            try { listed = (await probe.GetGateways()).Count; }
            catch (Exception e) when (e is InvalidOperationException or Npgsql.NpgsqlException or TimeoutException) { listed = 0; }
            if (listed == 0)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(2), stop); } catch (OperationCanceledException) { }
                continue;
            }
            var host = new HostBuilder()
                .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Critical))
                .UseOrleansClient(c =>
                {
                    c.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = "drllm"; });
                    c.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
                    c.Services.AddSingleton(options);
                    c.Services.AddSingleton<IGatewayListProvider, PostgresGateways>();
                })
                .Build();
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                attempt.CancelAfter(TimeSpan.FromSeconds(30));
                await host.StartAsync(attempt.Token);
                _host = host;
                _client = host.Services.GetRequiredService<IClusterClient>();
                log.LogInformation("connected to the cluster");
                return;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                log.LogDebug(e, "no gateway yet");
                host.Dispose();
                try { await Task.Delay(TimeSpan.FromSeconds(3), stop); } catch (OperationCanceledException) { }
            }
            catch (OperationCanceledException) { host.Dispose(); }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_host is { } h)
        {
            try { await h.StopAsync(cancellationToken); } catch (Exception e) when (e is OperationCanceledException or OrleansException) { }
            h.Dispose();
        }
    }
}
