using DrLlm.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

// The tests start PostgreSQL, node processes and a browser: one at a time keeps them within the 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DrLlm.Dashboard.Tests;

/// <summary>
/// One private PostgreSQL (deploy/postgres.sh, as the cluster tests start it) and one headless Debian Chromium driven
/// by Playwright, shared by the dashboard tests; each test takes a fresh database and its own in-process dashboard.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public PostgresServer Pg { get; private set; } = null!;
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // No silent skip: without the browser these tests fail, saying what to install.
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: the dashboard tests drive Debian's chromium through Playwright. " +
                "Install it with `bash deploy/install-deps.sh` (or `apt-get install -y chromium`); do not run `playwright install`.");
        Pg = new PostgresServer();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        Pg?.Dispose();
    }

    /// <summary>A dashboard on a fresh database, listening on a free port of <paramref name="host"/>.</summary>
    public async Task<RunningDashboard> StartDashboardAsync(string? connectionString = null, string host = "127.0.0.1", string? token = null)
    {
        var cs = connectionString ?? Pg.CreateDatabase();
        var app = await DashboardHost.CreateAsync(new DashboardOptions(cs, $"http://{host}:0", token), logging: _ => { });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new RunningDashboard(app, cs, $"http://127.0.0.1:{port}");
    }
}

/// <summary>A started dashboard: its database and the loopback address to reach it on.</summary>
public sealed class RunningDashboard(WebApplication app, string connectionString, string baseUrl) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;
    public string BaseUrl { get; } = baseUrl;
    public string Url(string path) => BaseUrl + path;
    public async ValueTask DisposeAsync() { await app.StopAsync(); await app.DisposeAsync(); }
}

[CollectionDefinition("dashboard")]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>;
